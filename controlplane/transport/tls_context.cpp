#include "controlplane/transport/detail/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace sbc::transport::detail {

namespace {

namespace ssl = boost::asio::ssl;

// The most recent OpenSSL error as text, and clears the queue.
std::string opensslError() {
    unsigned long code = ERR_get_error();
    std::string text = "unknown OpenSSL error";
    if (code != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        text = buf;
    }
    ERR_clear_error();
    return text;
}

[[noreturn]] void fail(const ListenerConfig& config, const std::string& what) {
    throw std::runtime_error("transport: TLS listener '" + config.name + "': " + what);
}

void check(const ListenerConfig& config, const boost::system::error_code& ec,
           const std::string& what) {
    if (ec) {
        fail(config, what + ": " + ec.message());
    }
}

}  // namespace

std::unique_ptr<ssl::context> makeTlsContext(const ListenerConfig& config, TlsRole role) {
    const TlsConfig& tls = config.tls;
    const bool server = role == TlsRole::Server;
    auto ctx = std::make_unique<ssl::context>(server ? ssl::context::tls_server
                                                     : ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();

    // TLS 1.2+ only (RFC 8996 deprecates 1.0/1.1), no compression (CRIME), no renegotiation.
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::no_compression | ssl::context::single_dh_use);
    // OpenSSL 3 already refuses client-initiated renegotiation unless
    // SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set; this refuses it in both directions.
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
    if (server) {
        SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
        fail(config, "cannot set minimum protocol TLS 1.2: " + opensslError());
    }
    if (SSL_CTX_set_cipher_list(native, tls.cipherList.c_str()) != 1) {
        fail(config, "invalid cipher list '" + tls.cipherList + "': " + opensslError());
    }
    // Idle connections keep no 34 KB of TLS record buffers each.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);

    if (server && (tls.certFile.empty() || tls.keyFile.empty())) {
        fail(config, "certFile and keyFile are required");
    }
    if (!tls.certFile.empty() || !tls.keyFile.empty()) {
        if (tls.certFile.empty() || tls.keyFile.empty()) {
            fail(config, "certFile and keyFile must be given together");
        }
        boost::system::error_code ec;
        ctx->use_certificate_chain_file(tls.certFile, ec);
        check(config, ec, "cannot load certificate file '" + tls.certFile + "'");
        ctx->use_private_key_file(tls.keyFile, ssl::context::pem, ec);
        check(config, ec, "cannot load private key file '" + tls.keyFile + "'");
        if (SSL_CTX_check_private_key(native) != 1) {
            fail(config, "private key '" + tls.keyFile + "' does not match certificate '" +
                             tls.certFile + "': " + opensslError());
        }
    }

    if (tls.verifyPeer) {
        boost::system::error_code ec;
        if (!tls.caFile.empty()) {
            ctx->load_verify_file(tls.caFile, ec);
            check(config, ec, "cannot load CA file '" + tls.caFile + "'");
            if (server) {
                // Advertise the acceptable client CAs in the CertificateRequest.
                STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.caFile.c_str());
                if (names != nullptr) {
                    SSL_CTX_set_client_CA_list(native, names);
                }
            }
        } else {
            ctx->set_default_verify_paths(ec);
            check(config, ec, "cannot load the default CA paths");
        }
        ctx->set_verify_mode(
            server ? (ssl::verify_peer | ssl::verify_fail_if_no_peer_cert) : ssl::verify_peer, ec);
        check(config, ec, "cannot set verify mode");
    } else {
        boost::system::error_code ec;
        ctx->set_verify_mode(ssl::verify_none, ec);
        check(config, ec, "cannot set verify mode");
    }
    if (server) {
        // Needed for session resumption together with client certificates.
        static constexpr unsigned char kSessionContext[] = "sbc-sip";
        SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
    }
    ERR_clear_error();
    return ctx;
}

}  // namespace sbc::transport::detail
