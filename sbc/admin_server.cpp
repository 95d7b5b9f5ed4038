#include "sbc/admin_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "sbc/log.hpp"

namespace sbc {

namespace asio = boost::asio;
using Local = asio::local::stream_protocol;

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
    Impl(asio::io_context& io, std::string p, AsyncHandler h)
        : io(io), path(std::move(p)), handler(std::move(h)), acceptor(io) {}

    void start() {
        ::unlink(path.c_str());
        acceptor.open();
        acceptor.bind(Local::endpoint(path));
        ::chmod(path.c_str(), 0600);
        acceptor.listen(16);
        accept();
    }

    void accept() {
        acceptor.async_accept(
            [self = shared_from_this()](boost::system::error_code ec, Local::socket sock) {
                if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) {
                    return;
                }
                if (!ec) {
                    if (self->clients < 16) {
                        self->serve(std::move(sock));
                    }
                }
                self->accept();
            });
    }

    struct Session {
        Local::socket sock;
        asio::streambuf buf{256};
        asio::steady_timer timer;
        std::string reply;
        Session(Local::socket s, asio::io_context& io) : sock(std::move(s)), timer(io) {}
    };

    void serve(Local::socket sock) {
        auto s = std::make_shared<Session>(std::move(sock), io);
        ++clients;
        s->timer.expires_after(std::chrono::seconds(5));
        s->timer.async_wait([s](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                s->sock.close(ignored);
            }
        });
        asio::async_read_until(
            s->sock, s->buf, '\n',
            [self = shared_from_this(), s](boost::system::error_code ec, size_t n) {
                if (ec) {
                    self->finish(s);
                    return;
                }
                std::string line(asio::buffers_begin(s->buf.data()),
                                 asio::buffers_begin(s->buf.data()) + static_cast<long>(n));
                while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
                    line.pop_back();
                }
                // The answer may take a while (reload compiles on a worker): allow it 120 s.
                s->timer.expires_after(std::chrono::seconds(120));
                s->timer.async_wait([s](boost::system::error_code timerEc) {
                    if (!timerEc) {
                        boost::system::error_code ignored;
                        s->sock.close(ignored);
                    }
                });
                auto word = self->asyncHandlers.find(line.substr(0, line.find(' ')));
                const AsyncHandler& handler =
                    word != self->asyncHandlers.end() ? word->second : self->handler;
                handler(line, [self, s](std::string reply) {
                    s->reply = std::move(reply) + "\n";
                    asio::async_write(
                        s->sock, asio::buffer(s->reply),
                        [self, s](boost::system::error_code, size_t) { self->finish(s); });
                });
            });
    }

    void finish(const std::shared_ptr<Session>& s) {
        s->timer.cancel();
        boost::system::error_code ignored;
        s->sock.close(ignored);
        --clients;
    }

    asio::io_context& io;
    std::string path;
    AsyncHandler handler;
    std::map<std::string, AsyncHandler> asyncHandlers;  // by first word of the command
    Local::acceptor acceptor;
    int clients = 0;
};

AdminServer::AdminServer(asio::io_context& io, std::string path, Handler handler)
    : AdminServer(io, std::move(path),
                  AsyncHandler([h = std::move(handler)](const std::string& command,
                                                        std::function<void(std::string)> reply) {
                      reply(h(command));
                  })) {}

AdminServer::AdminServer(asio::io_context& io, std::string path, AsyncHandler handler)
    : impl_(std::make_shared<Impl>(io, std::move(path), std::move(handler))) {
    impl_->start();
}

void AdminServer::addAsyncCommand(const std::string& word, AsyncHandler handler) {
    impl_->asyncHandlers[word] = std::move(handler);
}

AdminServer::~AdminServer() {
    close();
}

void AdminServer::close() {
    if (impl_ && impl_->acceptor.is_open()) {
        boost::system::error_code ignored;
        impl_->acceptor.close(ignored);
        ::unlink(impl_->path.c_str());
    }
}

}  // namespace sbc
