#pragma once

// Internal: builds the OpenSSL contexts of a TLS listener.

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "controlplane/transport/config.hpp"

namespace sbc::transport::detail {

enum class TlsRole { Server, Client };

// TLS 1.2 minimum, TlsConfig::cipherList, no compression, no renegotiation, certificate chain and
// key from the files (mandatory for Server, optional for Client), peer verification per
// TlsConfig::verifyPeer. Throws std::runtime_error naming the listener, file and OpenSSL reason.
std::unique_ptr<boost::asio::ssl::context> makeTlsContext(const ListenerConfig& config,
                                                          TlsRole role);

}  // namespace sbc::transport::detail
