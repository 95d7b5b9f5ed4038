// sbcctl: the operator's admin client. Talks to a running sbc over its admin Unix socket.
//
//   sbcctl [--socket PATH] status     counters and listeners, as JSON
//   sbcctl [--socket PATH] flows      the data plane's live media flows, as JSON
//   sbcctl [--socket PATH] stats      media relay counters (sbc-dataplane and sbc's client)
//   sbcctl destinations               trunk destinations under OPTIONS pinging: up or down
//   sbcctl reload                     recompile the policy files and swap them in
//   sbcctl bans [list] | bans lift ADDR | policy
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr const char* kDefaultSocket = "/run/sbc/admin.sock";
constexpr const char* kUsage =
    "usage: sbcctl [--socket PATH] <command>\n"
    "\n"
    "commands:\n"
    "  status           listeners, SIP, transport and transaction counters (JSON)\n"
    "  reload           recompile the policy files; on any error the old policy stays\n"
    "  bans [list]      banned source addresses, with reason and expiry\n"
    "  bans lift ADDR   lift the ban of ADDR\n"
    "  policy           policy files and gate counters (JSON)\n"
    "  flows            live media flows in sbc-dataplane: addresses, latched remotes, counters\n"
    "  stats            media relay counters: sbc-dataplane's and sbc's data-plane client\n"
    "  destinations     trunk destinations under OPTIONS pinging: up or down, failed pings\n"
    "\n"
    "options:\n"
    "  --socket PATH   the admin socket of sbc (config: admin.socket; default "
    "/run/sbc/admin.sock)\n"
    "  --help          print this help\n";

int request(const std::string& path, const std::string& command) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        std::perror("sbcctl: socket");
        return 1;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        std::fprintf(stderr, "sbcctl: socket path too long\n");
        ::close(fd);
        return 1;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "sbcctl: cannot connect to %s: %s\n", path.c_str(),
                     std::strerror(errno));
        ::close(fd);
        return 1;
    }
    std::string line = command + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        std::perror("sbcctl: write");
        ::close(fd);
        return 1;
    }
    std::string reply;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        reply.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    std::fputs(reply.c_str(), stdout);
    return reply.rfind("{\"error\"", 0) == 0 || reply.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = kDefaultSocket;
    std::string command;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (a == "--socket" && i + 1 < argc) {
            path = argv[++i];
        } else if (a[0] != '-') {
            command += (command.empty() ? "" : " ") + a;
        } else {
            std::fprintf(stderr, "sbcctl: unexpected argument '%s'\n\n%s", a.c_str(), kUsage);
            return 2;
        }
    }
    bool known = command == "status" || command == "reload" || command == "bans" ||
                 command == "bans list" || command == "policy" || command == "flows" ||
                 command == "stats" || command == "destinations" ||
                 (command.rfind("bans lift ", 0) == 0 && command.size() > 10 &&
                  command.find(' ', 10) == std::string::npos);
    if (!known) {
        std::fprintf(
            stderr, "sbcctl: %s\n\n%s",
            command.empty() ? "missing command" : ("unknown command '" + command + "'").c_str(),
            kUsage);
        return 2;
    }
    return request(path, command);
}
