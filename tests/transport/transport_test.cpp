// TransportLayer over real loopback sockets (127.0.0.1, and ::1 when it can be bound).
// Deterministic: the test drives the one io_context itself with run_one_for() loops bounded by a
// deadline and waits for observable conditions (counters, received messages), never sleeps.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/transport/transport_layer.hpp"

namespace sbc::transport {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

std::string sipRequest(std::string_view method, std::string_view body = "") {
    std::string m = std::string(method) +
                    " sip:bob@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport\r\n"
                    "From: <sip:alice@example.com>;tag=9fxced76sl\r\n"
                    "To: <sip:bob@example.com>\r\n"
                    "Call-ID: 3848276298220188511@example.com\r\n"
                    "CSeq: 1 " +
                    std::string(method) + "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n";
    m += body;
    return m;
}

std::string sipResponse(std::string_view reason = "OK") {
    return "SIP/2.0 200 " + std::string(reason) +
           "\r\nVia: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport=1;received=x\r\n"
           "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

struct Received {
    std::string bytes;
    Protocol protocol = Protocol::Udp;
    ListenerId listener = 0;
    std::string listenerName;
    ConnectionId connection = 0;
    Endpoint local;
    Endpoint remote;
};

bool canBindIpv6Loopback() {
    asio::io_context io;
    udp::socket s(io);
    boost::system::error_code ec;
    s.open(udp::v6(), ec);
    if (!ec) {
        s.bind(udp::endpoint(asio::ip::make_address("::1"), 0), ec);
    }
    return !ec;
}

// Self-signed EC P-256 certificate and key, written as PEM files (OpenSSL 3 C API).
struct TestCertificate {
    std::filesystem::path dir;
    std::string certFile;
    std::string keyFile;

    TestCertificate() {
        dir = std::filesystem::temp_directory_path() /
              ("sbc-transport-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        certFile = (dir / "cert.pem").string();
        keyFile = (dir / "key.pem").string();

        EVP_PKEY* key = EVP_EC_gen("P-256");
        if (key == nullptr) {
            throw std::runtime_error("EVP_EC_gen failed");
        }
        X509* x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
        X509_set_pubkey(x, key);
        X509_NAME* name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("sbc.test"), -1, -1, 0);
        X509_set_issuer_name(x, name);
        const bool signedOk = X509_sign(x, key, EVP_sha256()) > 0;

        BIO* certOut = BIO_new_file(certFile.c_str(), "w");
        BIO* keyOut = BIO_new_file(keyFile.c_str(), "w");
        const bool written =
            certOut != nullptr && keyOut != nullptr && PEM_write_bio_X509(certOut, x) == 1 &&
            PEM_write_bio_PrivateKey(keyOut, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
        BIO_free(certOut);
        BIO_free(keyOut);
        X509_free(x);
        EVP_PKEY_free(key);
        if (!signedOk || !written) {
            throw std::runtime_error("cannot write the test certificate");
        }
    }
    ~TestCertificate() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

class TransportTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { certificate_ = new TestCertificate(); }
    static void TearDownTestSuite() {
        delete certificate_;
        certificate_ = nullptr;
    }

    void SetUp() override {
        layer_ = std::make_unique<TransportLayer>(io_);
        layer_->setReceiveHandler([this](const InboundMessage& m) {
            received_.push_back(Received{std::string(m.bytes), m.protocol, m.listener,
                                         std::string(m.listenerName), m.connection, m.local,
                                         m.remote});
        });
        layer_->setCloseHandler(
            [this](ConnectionId id, CloseReason reason) { closed_.emplace_back(id, reason); });
    }

    void TearDown() override {
        // Destroy the layer with whatever is still open, then let the aborted handlers run:
        // exercises shutdown under the sanitizers.
        layer_.reset();
        io_.restart();
        io_.run_for(50ms);
    }

    // Runs the io_context until pred() holds or the deadline passes.
    bool runUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            if (io_.stopped()) {
                io_.restart();
            }
            io_.run_one_for(20ms);
        }
        return true;
    }

    ListenerId addListener(Protocol protocol, const std::string& address,
                           const std::function<void(ListenerConfig&)>& tweak = {}) {
        ListenerConfig config;
        config.name = "outside";
        config.protocol = protocol;
        config.bindAddress = address;
        config.port = 0;
        if (protocol == Protocol::Tls) {
            config.tls.certFile = certificate_->certFile;
            config.tls.keyFile = certificate_->keyFile;
        }
        if (tweak) {
            tweak(config);
        }
        return layer_->addListener(config);
    }

    static tcp::endpoint tcpEndpoint(const Endpoint& e) { return {e.address, e.port}; }

    template <typename Stream>
    std::string readExactly(Stream& stream, std::size_t n) {
        std::string buf(n, '\0');
        bool done = false;
        boost::system::error_code error;
        asio::async_read(stream, asio::buffer(buf),
                         [&](const boost::system::error_code& ec, std::size_t) {
                             error = ec;
                             done = true;
                         });
        EXPECT_TRUE(runUntil([&] { return done; }));
        EXPECT_FALSE(error) << error.message();
        return buf;
    }

    template <typename Stream>
    void writeAll(Stream& stream, std::string_view bytes) {
        bool done = false;
        boost::system::error_code error;
        asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                          [&](const boost::system::error_code& ec, std::size_t) {
                              error = ec;
                              done = true;
                          });
        EXPECT_TRUE(runUntil([&] { return done; }));
        EXPECT_FALSE(error) << error.message();
    }

    // True once the peer closed/reset the socket (a read fails).
    bool waitForPeerClose(tcp::socket& socket) {
        std::array<char, 64> buf{};
        bool done = false;
        boost::system::error_code error;
        socket.async_read_some(asio::buffer(buf),
                               [&](const boost::system::error_code& ec, std::size_t) {
                                   error = ec;
                                   done = true;
                               });
        return runUntil([&] { return done; }) && error;
    }

    void udpRoundTrip(const std::string& address);
    void tcpRoundTrip(const std::string& address);
    void tlsRoundTrip(int maxVersion);

    static TestCertificate* certificate_;
    asio::io_context io_;
    std::unique_ptr<TransportLayer> layer_;
    std::vector<Received> received_;
    std::vector<std::pair<ConnectionId, CloseReason>> closed_;
};

TestCertificate* TransportTest::certificate_ = nullptr;

// ---- UDP ---------------------------------------------------------------------------------------

void TransportTest::udpRoundTrip(const std::string& address) {
    const ListenerId id = addListener(Protocol::Udp, address);
    const Endpoint local = layer_->localEndpoint(id);
    ASSERT_NE(local.port, 0);
    EXPECT_EQ(local.address, asio::ip::make_address(address));

    udp::socket client(io_, udp::endpoint(asio::ip::make_address(address), 0));
    const std::string request = sipRequest("OPTIONS");
    client.send_to(asio::buffer(request), udp::endpoint(local.address, local.port));
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));

    const Received& r = received_[0];
    EXPECT_EQ(r.bytes, request);
    EXPECT_EQ(r.protocol, Protocol::Udp);
    EXPECT_EQ(r.listener, id);
    EXPECT_EQ(r.listenerName, "outside");
    EXPECT_EQ(r.connection, 0u);
    EXPECT_EQ(r.local, local);
    // RFC 3581: the exact observed source address and port.
    const udp::endpoint clientEp = client.local_endpoint();
    EXPECT_EQ(r.remote.address, clientEp.address());
    EXPECT_EQ(r.remote.port, clientEp.port());

    // The response goes back to the observed source, from the listener's own port.
    const std::string response = sipResponse();
    SendResult sent = layer_->send(OutboundTarget::to(id, r.remote), response);
    EXPECT_EQ(sent.status, SendStatus::Ok);
    EXPECT_EQ(sent.connection, 0u);

    std::string buf(2000, '\0');
    udp::endpoint from;
    bool done = false;
    std::size_t got = 0;
    client.async_receive_from(asio::buffer(buf), from,
                              [&](const boost::system::error_code& ec, std::size_t n) {
                                  EXPECT_FALSE(ec);
                                  got = n;
                                  done = true;
                              });
    ASSERT_TRUE(runUntil([&] { return done; }));
    EXPECT_EQ(buf.substr(0, got), response);
    EXPECT_EQ(from.address(), local.address);
    EXPECT_EQ(from.port(), local.port);  // symmetric signalling

    const Stats& s = layer_->stats();
    EXPECT_EQ(s.udp.messagesReceived, 1u);
    EXPECT_EQ(s.udp.messagesSent, 1u);
    EXPECT_EQ(s.udp.bytesReceived, request.size());
    EXPECT_EQ(s.udp.bytesSent, response.size());
}

TEST_F(TransportTest, UdpRoundTripIpv4) {
    udpRoundTrip("127.0.0.1");
}

TEST_F(TransportTest, UdpRoundTripIpv6) {
    if (!canBindIpv6Loopback()) {
        GTEST_SKIP() << "::1 cannot be bound here";
    }
    udpRoundTrip("::1");
}

TEST_F(TransportTest, UdpKeepalivesAndOversizeAreDropped) {
    const ListenerId id = addListener(Protocol::Udp, "127.0.0.1",
                                      [](ListenerConfig& c) { c.limits.maxMessageBytes = 1000; });
    const Endpoint local = layer_->localEndpoint(id);
    udp::socket client(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const udp::endpoint to(local.address, local.port);

    client.send_to(asio::buffer(std::string_view("\r\n\r\n")), to);
    client.send_to(asio::buffer(std::string_view("\r\n")), to);
    client.send_to(asio::buffer(std::string(1001, 'x')), to);
    client.send_to(asio::buffer(std::string_view()), to);
    // Exactly at the limit: delivered. (Content-Length "0" becomes three digits.)
    const std::string body(1000 - sipRequest("MESSAGE").size() - 2, 'b');
    const std::string exact = sipRequest("MESSAGE", body);
    ASSERT_EQ(exact.size(), 1000u);
    client.send_to(asio::buffer(exact), to);

    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, exact);
    const Stats& s = layer_->stats();
    EXPECT_EQ(s.udpKeepalives, 2u);
    EXPECT_EQ(s.udpOversizeDrops, 1u);
    EXPECT_EQ(s.udpEmptyDrops, 1u);
    EXPECT_EQ(s.udp.messagesReceived, 1u);

    // Sending above the limit is refused without touching the socket.
    EXPECT_EQ(
        layer_->send(OutboundTarget::to(id, received_[0].remote), std::string(1001, 'y')).status,
        SendStatus::TooLarge);
    EXPECT_EQ(s.sendTooLarge, 1u);
}

// ---- TCP ---------------------------------------------------------------------------------------

void TransportTest::tcpRoundTrip(const std::string& address) {
    const ListenerId id = addListener(Protocol::Tcp, address);
    const Endpoint local = layer_->localEndpoint(id);
    ASSERT_NE(local.port, 0);

    tcp::socket client(io_);
    client.connect(tcpEndpoint(local));
    const std::string m1 = sipRequest("INVITE", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\r\n");
    const std::string m2 = sipRequest("ACK");
    const std::string m3 = sipRequest("BYE", "body-of-bye");

    // Two messages in one write.
    asio::write(client, asio::buffer(m1 + m2));
    ASSERT_TRUE(runUntil([&] { return received_.size() == 2; }));

    // One message in three fragments; wait until each fragment has been read by the layer.
    const std::size_t cut1 = 10;
    const std::size_t cut2 = m3.find("\r\n\r\n") + 2;  // inside the end-of-headers marker
    std::uint64_t expectBytes = m1.size() + m2.size();
    for (auto [from, to] :
         {std::pair{std::size_t{0}, cut1}, std::pair{cut1, cut2}, std::pair{cut2, m3.size()}}) {
        asio::write(client, asio::buffer(m3.data() + from, to - from));
        expectBytes += to - from;
        ASSERT_TRUE(runUntil([&] { return layer_->stats().tcp.bytesReceived == expectBytes; }));
        if (to != m3.size()) {
            EXPECT_EQ(received_.size(), 2u);
        }
    }
    ASSERT_TRUE(runUntil([&] { return received_.size() == 3; }));
    EXPECT_EQ(received_[0].bytes, m1);
    EXPECT_EQ(received_[1].bytes, m2);
    EXPECT_EQ(received_[2].bytes, m3);

    const tcp::endpoint clientEp = client.local_endpoint();
    const ConnectionId conn = received_[0].connection;
    EXPECT_NE(conn, 0u);
    for (const Received& r : received_) {
        EXPECT_EQ(r.protocol, Protocol::Tcp);
        EXPECT_EQ(r.listener, id);
        EXPECT_EQ(r.connection, conn);
        EXPECT_EQ(r.remote.address, clientEp.address());
        EXPECT_EQ(r.remote.port, clientEp.port());
        EXPECT_EQ(r.local, local);
    }
    auto info = layer_->connectionInfo(conn);
    ASSERT_TRUE(info.has_value());
    EXPECT_FALSE(info->outbound);
    EXPECT_EQ(info->protocol, Protocol::Tcp);

    // RFC 3261 §18.2.2: the response goes back over the same connection.
    const std::string response = sipResponse();
    EXPECT_EQ(layer_->send(OutboundTarget::onConnection(conn), response).status, SendStatus::Ok);
    EXPECT_EQ(readExactly(client, response.size()), response);
    ASSERT_TRUE(runUntil([&] { return layer_->stats().tcp.messagesSent == 1; }));
    EXPECT_EQ(layer_->stats().tcp.messagesReceived, 3u);

    // The peer closes: the connection goes away and replies fail cleanly.
    client.close();
    ASSERT_TRUE(runUntil([&] { return layer_->openConnections() == 0; }));
    EXPECT_EQ(layer_->stats().connectionsPeerClosed, 1u);
    ASSERT_EQ(closed_.size(), 1u);
    EXPECT_EQ(closed_[0].first, conn);
    EXPECT_EQ(closed_[0].second, CloseReason::PeerClosed);
    EXPECT_EQ(layer_->send(OutboundTarget::onConnection(conn), response).status,
              SendStatus::NoConnection);
}

TEST_F(TransportTest, TcpFramingAndReplyIpv4) {
    tcpRoundTrip("127.0.0.1");
}

TEST_F(TransportTest, TcpFramingAndReplyIpv6) {
    if (!canBindIpv6Loopback()) {
        GTEST_SKIP() << "::1 cannot be bound here";
    }
    tcpRoundTrip("::1");
}

TEST_F(TransportTest, TcpPingGetsPong) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1");
    tcp::socket client(io_);
    client.connect(tcpEndpoint(layer_->localEndpoint(id)));
    asio::write(client, asio::buffer(std::string_view("\r\n\r\n")));
    EXPECT_EQ(readExactly(client, 2), "\r\n");  // RFC 5626 §4.4.1
    EXPECT_EQ(layer_->stats().streamPings, 1u);
    EXPECT_EQ(layer_->stats().streamPongs, 1u);
    // A lone CRLF gets no answer, and the connection still carries messages.
    const std::string m = sipRequest("OPTIONS");
    asio::write(client, asio::buffer("\r\n" + m));
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, m);
    EXPECT_EQ(layer_->stats().streamPings, 1u);
    EXPECT_EQ(layer_->openConnections(), 1u);
}

TEST_F(TransportTest, TcpFramingErrorClosesConnection) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1");
    tcp::socket client(io_);
    client.connect(tcpEndpoint(layer_->localEndpoint(id)));
    const std::string good = sipRequest("OPTIONS");
    // RFC 3261 §18.3: Content-Length is mandatory on streams.
    asio::write(client, asio::buffer(good + "OPTIONS sip:x SIP/2.0\r\nCSeq: 2 OPTIONS\r\n\r\n"));
    EXPECT_TRUE(waitForPeerClose(client));
    ASSERT_EQ(received_.size(), 1u);
    EXPECT_EQ(received_[0].bytes, good);
    EXPECT_EQ(layer_->stats().framingMissingContentLength, 1u);
    EXPECT_EQ(layer_->openConnections(), 0u);
    ASSERT_EQ(closed_.size(), 1u);
    EXPECT_EQ(closed_[0].second, CloseReason::FramingError);
}

TEST_F(TransportTest, TcpOversizeMessageClosesConnection) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1",
                                      [](ListenerConfig& c) { c.limits.maxMessageBytes = 2048; });
    tcp::socket client(io_);
    client.connect(tcpEndpoint(layer_->localEndpoint(id)));
    // No end of headers within the limit.
    asio::write(client, asio::buffer(std::string(4096, 'A')));
    EXPECT_TRUE(waitForPeerClose(client));
    EXPECT_EQ(layer_->stats().framingHeadersTooLarge, 1u);
    EXPECT_TRUE(received_.empty());
}

TEST_F(TransportTest, PerSourceConnectionLimit) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1", [](ListenerConfig& c) {
        c.limits.maxConnectionsPerSource = 2;
    });
    const tcp::endpoint server = tcpEndpoint(layer_->localEndpoint(id));
    std::vector<std::unique_ptr<tcp::socket>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<tcp::socket>(io_));
        clients.back()->connect(server);
    }
    ASSERT_TRUE(runUntil([&] {
        return layer_->stats().connectionsAccepted == 2 &&
               layer_->stats().connectionsRejectedPerSource == 1;
    }));
    EXPECT_EQ(layer_->openConnections(), 2u);
    // The kernel accept queue is FIFO: the third connection is the one closed.
    EXPECT_TRUE(waitForPeerClose(*clients[2]));

    // The survivors still work.
    const std::string m = sipRequest("OPTIONS");
    asio::write(*clients[0], asio::buffer(m));
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));

    // Closing one frees a slot for the same source.
    clients[1]->close();
    ASSERT_TRUE(runUntil([&] { return layer_->openConnections() == 1; }));
    tcp::socket again(io_);
    again.connect(server);
    ASSERT_TRUE(runUntil([&] { return layer_->stats().connectionsAccepted == 3; }));
    EXPECT_EQ(layer_->stats().connectionsRejectedPerSource, 1u);
    EXPECT_EQ(layer_->openConnections(), 2u);
}

TEST_F(TransportTest, TotalConnectionLimit) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1", [](ListenerConfig& c) {
        c.limits.maxConnections = 1;
        c.limits.maxSendQueueBytes = c.limits.maxMessageBytes;
    });
    const tcp::endpoint server = tcpEndpoint(layer_->localEndpoint(id));
    tcp::socket a(io_);
    tcp::socket b(io_);
    a.connect(server);
    b.connect(server);
    ASSERT_TRUE(runUntil([&] { return layer_->stats().connectionsRejectedTotal == 1; }));
    EXPECT_TRUE(waitForPeerClose(b));
    EXPECT_EQ(layer_->openConnections(), 1u);
    // An outbound connection would exceed the limit as well.
    const Endpoint somewhere{asio::ip::make_address("127.0.0.1"), 9};
    EXPECT_EQ(layer_->send(OutboundTarget::to(id, somewhere), sipRequest("OPTIONS")).status,
              SendStatus::ConnectionLimit);
    EXPECT_EQ(layer_->stats().connectionsRejectedTotal, 2u);
}

TEST_F(TransportTest, IdleConnectionIsClosed) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1",
                                      [](ListenerConfig& c) { c.limits.idleTimeout = 200ms; });
    tcp::socket client(io_);
    client.connect(tcpEndpoint(layer_->localEndpoint(id)));
    EXPECT_TRUE(waitForPeerClose(client));
    EXPECT_EQ(layer_->stats().connectionsIdleTimeouts, 1u);
    ASSERT_EQ(closed_.size(), 1u);
    EXPECT_EQ(closed_[0].second, CloseReason::IdleTimeout);
}

TEST_F(TransportTest, OutboundTcpReusesConnection) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1");
    tcp::acceptor peer(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const Endpoint peerEp{peer.local_endpoint().address(), peer.local_endpoint().port()};

    const std::string m1 = sipRequest("INVITE", "sdp");
    const std::string m2 = sipRequest("CANCEL");
    SendResult r1 = layer_->send(OutboundTarget::to(id, peerEp), m1);
    ASSERT_EQ(r1.status, SendStatus::Ok);
    ASSERT_NE(r1.connection, 0u);
    // Queued while still connecting: the same connection is reused.
    SendResult r2 = layer_->send(OutboundTarget::to(id, peerEp), m2);
    ASSERT_EQ(r2.status, SendStatus::Ok);
    EXPECT_EQ(r2.connection, r1.connection);

    tcp::socket accepted(io_);
    bool acceptDone = false;
    peer.async_accept(accepted, [&](const boost::system::error_code& ec) {
        EXPECT_FALSE(ec);
        acceptDone = true;
    });
    ASSERT_TRUE(runUntil([&] { return acceptDone; }));
    EXPECT_EQ(readExactly(accepted, m1.size() + m2.size()), m1 + m2);

    // After the connect as well.
    const std::string m3 = sipRequest("BYE");
    SendResult r3 = layer_->send(OutboundTarget::to(id, peerEp), m3);
    EXPECT_EQ(r3.connection, r1.connection);
    EXPECT_EQ(readExactly(accepted, m3.size()), m3);
    EXPECT_EQ(layer_->stats().connectionsOpenedOutbound, 1u);
    EXPECT_EQ(layer_->stats().tcp.messagesSent, 3u);

    auto info = layer_->connectionInfo(r1.connection);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->outbound);
    EXPECT_EQ(info->local.address, asio::ip::make_address("127.0.0.1"));
    EXPECT_EQ(info->local.port, accepted.remote_endpoint().port());

    // What the peer sends back arrives on that connection.
    const std::string response = sipResponse();
    asio::write(accepted, asio::buffer(response));
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, response);
    EXPECT_EQ(received_[0].connection, r1.connection);
    EXPECT_EQ(received_[0].remote, peerEp);
}

TEST_F(TransportTest, OutboundConnectFailureIsCounted) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1");
    // A port nobody listens on: bind a socket to reserve it, never listen.
    tcp::acceptor reserved(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const Endpoint dead{reserved.local_endpoint().address(), reserved.local_endpoint().port()};
    reserved.close();
    SendResult r = layer_->send(OutboundTarget::to(id, dead), sipRequest("OPTIONS"));
    ASSERT_EQ(r.status, SendStatus::Ok);
    ASSERT_TRUE(runUntil([&] { return layer_->stats().connectFailures == 1; }));
    EXPECT_EQ(layer_->openConnections(), 0u);
    EXPECT_EQ(layer_->stats().sendDroppedOnClose, 1u);
    ASSERT_EQ(closed_.size(), 1u);
    EXPECT_EQ(closed_[0].first, r.connection);
    EXPECT_EQ(closed_[0].second, CloseReason::ConnectFailed);
}

TEST_F(TransportTest, SendErrorsAreReturned) {
    const ListenerId id = addListener(Protocol::Tcp, "127.0.0.1");
    EXPECT_EQ(layer_->send(OutboundTarget::onConnection(12345), "x").status,
              SendStatus::NoConnection);
    EXPECT_EQ(layer_->send(OutboundTarget::to(999, {}), "x").status, SendStatus::NoListener);
    const Endpoint v6{asio::ip::make_address("::1"), 5060};
    EXPECT_EQ(layer_->send(OutboundTarget::to(id, v6), "x").status, SendStatus::AddressFamily);
    EXPECT_THROW((void)layer_->localEndpoint(999), std::out_of_range);
}

TEST_F(TransportTest, BadConfigurationThrows) {
    EXPECT_THROW(addListener(Protocol::Udp, "not-an-address"), std::runtime_error);
    EXPECT_THROW(addListener(Protocol::Tls, "127.0.0.1",
                             [](ListenerConfig& c) { c.tls.certFile = "/nonexistent/cert.pem"; }),
                 std::runtime_error);
    EXPECT_THROW(
        addListener(Protocol::Tls, "127.0.0.1", [](ListenerConfig& c) { c.tls.keyFile.clear(); }),
        std::runtime_error);
    // Port already bound.
    const ListenerId id = addListener(Protocol::Udp, "127.0.0.1");
    const std::uint16_t port = layer_->localEndpoint(id).port;
    EXPECT_THROW(addListener(Protocol::Udp, "127.0.0.1", [&](ListenerConfig& c) { c.port = port; }),
                 std::runtime_error);
}

// ---- TLS ---------------------------------------------------------------------------------------

void TransportTest::tlsRoundTrip(int maxVersion) {
    const ListenerId id = addListener(Protocol::Tls, "127.0.0.1");
    const Endpoint local = layer_->localEndpoint(id);

    ssl::context clientCtx(ssl::context::tls_client);
    clientCtx.set_verify_mode(ssl::verify_none);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(clientCtx.native_handle(), maxVersion), 1);
    ssl::stream<tcp::socket> client(io_, clientCtx);
    client.next_layer().connect(tcpEndpoint(local));
    bool done = false;
    boost::system::error_code error;
    client.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& ec) {
        error = ec;
        done = true;
    });
    ASSERT_TRUE(runUntil([&] { return done; }));
    ASSERT_FALSE(error) << error.message();
    EXPECT_EQ(SSL_version(client.native_handle()), maxVersion);

    const std::string request = sipRequest("REGISTER");
    writeAll(client, request);
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, request);
    EXPECT_EQ(received_[0].protocol, Protocol::Tls);
    const tcp::endpoint clientEp = client.next_layer().local_endpoint();
    EXPECT_EQ(received_[0].remote.port, clientEp.port());

    const std::string response = sipResponse();
    EXPECT_EQ(layer_->send(OutboundTarget::onConnection(received_[0].connection), response).status,
              SendStatus::Ok);
    EXPECT_EQ(readExactly(client, response.size()), response);
    EXPECT_EQ(layer_->stats().tlsHandshakesCompleted, 1u);
    EXPECT_EQ(layer_->stats().tls.messagesReceived, 1u);
}

TEST_F(TransportTest, TlsRoundTripTls12) {
    tlsRoundTrip(TLS1_2_VERSION);
}

TEST_F(TransportTest, TlsRoundTripTls13) {
    tlsRoundTrip(TLS1_3_VERSION);
}

TEST_F(TransportTest, TlsBelow12IsRejected) {
    const ListenerId id = addListener(Protocol::Tls, "127.0.0.1");
    ssl::context clientCtx(ssl::context::tls_client);
    clientCtx.set_verify_mode(ssl::verify_none);
    SSL_CTX* native = clientCtx.native_handle();
    // Let this client really offer TLS 1.1 (OpenSSL 3 refuses it at the default security level).
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
    ASSERT_EQ(SSL_CTX_set_min_proto_version(native, TLS1_VERSION), 1);
    ASSERT_EQ(SSL_CTX_set_max_proto_version(native, TLS1_1_VERSION), 1);
    ssl::stream<tcp::socket> client(io_, clientCtx);
    client.next_layer().connect(tcpEndpoint(layer_->localEndpoint(id)));
    bool done = false;
    boost::system::error_code error;
    client.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& ec) {
        error = ec;
        done = true;
    });
    ASSERT_TRUE(runUntil([&] { return done; }));
    EXPECT_TRUE(error);
    client.next_layer().close();
    ASSERT_TRUE(runUntil([&] { return layer_->stats().tlsHandshakeFailures == 1; }));
    EXPECT_EQ(layer_->stats().tlsHandshakesCompleted, 0u);
    EXPECT_EQ(layer_->openConnections(), 0u);
}

TEST_F(TransportTest, TlsHandshakeTimeout) {
    const ListenerId id = addListener(Protocol::Tls, "127.0.0.1", [](ListenerConfig& c) {
        c.limits.tlsHandshakeTimeout = 200ms;
    });
    tcp::socket client(io_);
    client.connect(tcpEndpoint(layer_->localEndpoint(id)));  // never says hello
    EXPECT_TRUE(waitForPeerClose(client));
    EXPECT_EQ(layer_->stats().tlsHandshakeTimeouts, 1u);
}

TEST_F(TransportTest, TlsOutboundToOwnListener) {
    // Listener A opens a TLS client connection to listener B of the same layer.
    const ListenerId a = addListener(Protocol::Tls, "127.0.0.1");
    const ListenerId b =
        addListener(Protocol::Tls, "127.0.0.1", [](ListenerConfig& c) { c.name = "inside"; });
    const std::string request = sipRequest("INVITE", "v=0\r\n");
    SendResult r = layer_->send(OutboundTarget::to(a, layer_->localEndpoint(b)), request);
    ASSERT_EQ(r.status, SendStatus::Ok);
    ASSERT_TRUE(runUntil([&] { return received_.size() == 1; }));
    EXPECT_EQ(received_[0].bytes, request);
    EXPECT_EQ(received_[0].listener, b);
    EXPECT_EQ(received_[0].listenerName, "inside");
    EXPECT_NE(received_[0].connection, r.connection);

    const std::string response = sipResponse("Trying");
    EXPECT_EQ(layer_->send(OutboundTarget::onConnection(received_[0].connection), response).status,
              SendStatus::Ok);
    ASSERT_TRUE(runUntil([&] { return received_.size() == 2; }));
    EXPECT_EQ(received_[1].bytes, response);
    EXPECT_EQ(received_[1].listener, a);
    EXPECT_EQ(received_[1].connection, r.connection);
    EXPECT_EQ(layer_->stats().tlsHandshakesCompleted, 2u);

    // Closing locally is reported and the peer side notices.
    EXPECT_TRUE(layer_->closeConnection(r.connection));
    ASSERT_TRUE(runUntil([&] { return layer_->openConnections() == 0; }));
}

}  // namespace
}  // namespace sbc::transport
