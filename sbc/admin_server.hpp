#pragma once
// The operator's admin channel: a Unix stream socket (mode 0600, owner only) on which `sbcctl`
// sends one command line and reads one JSON document back. Commands: "status".
// Untrusted input too: a line is at most 256 bytes, a client that sends nothing is cut after 5 s,
// at most 16 clients at once.
//
// Threading: runs on the io_context thread; the handler runs there too.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sbc {

class AdminServer {
  public:
    // Returns the JSON answer for a command, or an error JSON.
    using Handler = std::function<std::string(const std::string& command)>;
    // For commands answered later (reload): call `reply` once, on the io_context thread.
    using AsyncHandler =
        std::function<void(const std::string& command, std::function<void(std::string)> reply)>;

    AdminServer(boost::asio::io_context& io, std::string path, Handler handler);
    AdminServer(boost::asio::io_context& io, std::string path, AsyncHandler handler);
    using Reply = std::function<void(std::string json)>;
    // Routes commands whose first word is `word` to `handler` instead of the main one.
    void addAsyncCommand(const std::string& word, AsyncHandler handler);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    void close();

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace sbc
