// Fuzz target of the policy compiler (controlplane/policy/compile.hpp).
//
// Policy files are written by people and reach sbc through `sbc policy check`, start-up and
// reload: a mistake must become a FILE:LINE:COL diagnostic, never a crash, hang or assert
// (STYLE.md #11). compilePolicy() takes file names only, so each input is written to files in a
// private directory under /tmp and compiled exactly as `sbc policy check` compiles them.
//
// An input holds one policy file, or several separated by lines "#%%file" (so the cross-file
// checks — duplicate names, routes naming trunks of another file — are reached too).
// Invariants checked (abort() on violation, so libFuzzer and the replay driver both report):
//   - a policy is produced exactly when there is no error diagnostic;
//   - every diagnostic names one of the input files and says "error:" or "warning:" as its
//     severity says;
//   - compiling the same files again gives the same diagnostics (a pure function of the files);
//   - a compiled policy answers lookups consistently: trunk(name) finds every trunk, a trunk's
//     own first source address maps to some trunk, routes and ACLs evaluate without crashing.
//
// Threading: libFuzzer calls LLVMFuzzerTestOneInput on one thread.
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/policy/acl.hpp"
#include "controlplane/policy/compile.hpp"
#include "controlplane/policy/model.hpp"

namespace {

using namespace sbc::policy;
using namespace std::literals;

constexpr std::string_view kSeparator = "\n#%%file\n";
constexpr std::size_t kMaxFiles = 4;

[[noreturn]] void fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "policy_compile_fuzz: %s: '%.*s'\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

// A private directory for this process's input files, removed at exit.
const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        std::string tmpl = "/tmp/sbc-policy-fuzz.XXXXXX";
        if (mkdtemp(tmpl.data()) == nullptr) {
            std::perror("policy_compile_fuzz: mkdtemp");
            std::abort();
        }
        std::filesystem::path p(tmpl);
        static std::filesystem::path forCleanup;
        forCleanup = p;
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(forCleanup, ec);
        });
        return p;
    }();
    return dir;
}

std::vector<std::string> writeFiles(std::string_view in) {
    std::vector<std::string> paths;
    while (paths.size() < kMaxFiles) {
        std::size_t cut = paths.size() + 1 < kMaxFiles ? in.find(kSeparator) : in.npos;
        std::string_view part = in.substr(0, cut);
        std::string path = (scratchDir() / ("p" + std::to_string(paths.size()) + ".yaml")).string();
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(part.data(), static_cast<std::streamsize>(part.size()));
        out.close();
        if (!out) {
            fail("cannot write input file", path);
        }
        paths.push_back(std::move(path));
        if (cut == in.npos) {
            break;
        }
        in.remove_prefix(cut + kSeparator.size());
    }
    return paths;
}

void checkDiagnostics(const CompileResult& res, const std::vector<std::string>& files) {
    if ((res.policy != nullptr) != (res.errors() == 0)) {
        fail("policy present does not match error count",
             res.diagnostics.empty() ? "" : res.diagnostics.front().text);
    }
    for (const Diagnostic& d : res.diagnostics) {
        bool named = false;
        for (const std::string& f : files) {
            if (d.text.starts_with(f + ":")) {
                named = true;
            }
        }
        if (!named) {
            fail("diagnostic does not name an input file", d.text);
        }
        std::string_view tag =
            d.severity == Diagnostic::Severity::Error ? ": error: "sv : ": warning: "sv;
        if (d.text.find(tag) == std::string::npos) {
            fail("diagnostic text does not say its severity", d.text);
        }
    }
}

void checkSame(const CompileResult& a, const CompileResult& b) {
    if (a.diagnostics.size() != b.diagnostics.size()) {
        fail("second compile gave a different number of diagnostics",
             a.diagnostics.empty() ? "" : a.diagnostics.front().text);
    }
    for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
        if (a.diagnostics[i].text != b.diagnostics[i].text) {
            fail("second compile gave a different diagnostic", a.diagnostics[i].text);
        }
    }
}

void exerciseAcl(const Acl& acl) {
    static const boost::asio::ip::address kAddresses[] = {
        boost::asio::ip::make_address("192.0.2.1"), boost::asio::ip::make_address("10.0.0.1"),
        boost::asio::ip::make_address("0.0.0.0"), boost::asio::ip::make_address("2001:db8::1"),
        boost::asio::ip::make_address("::ffff:198.51.100.7")};
    // The last one is as long as matching ever looks (kMaxMatchBytes): a pattern that
    // backtracks badly shows up as a libFuzzer timeout, as it would stall the io_context thread.
    static const std::string kLong(kMaxMatchBytes, 'a');
    static const std::string kLongDigits(kMaxMatchBytes, '1');
    static const RequestView kRequests[] = {
        {"INVITE", "friendly-scanner", "100", "+4930123", "%2B49-30-123"},
        {"OPTIONS", "", "", "", ""},
        {"REGISTER", "Linphone/5.0", "alice", "alice", "alice"},
        {"INVITE", kLong, kLong, kLongDigits, kLongDigits}};
    for (const auto& a : kAddresses) {
        AclDecision s = evaluateSource(acl, a);
        if (s.decided) {
            continue;
        }
        if (s.next > acl.rules.size()) {
            fail("evaluateSource next past the rules", std::to_string(s.next));
        }
        for (const RequestView& r : kRequests) {
            AclDecision d = evaluateRequest(acl, a, r, s.next);
            if (d.rule >= static_cast<std::int32_t>(acl.rules.size())) {
                fail("evaluateRequest rule past the rules", std::to_string(d.rule));
            }
        }
    }
}

// The compiled source table must answer what a scan of the trunks in file order answers.
const Trunk* linearInbound(const PolicySnapshot& p, const boost::asio::ip::address& source,
                           std::uint16_t port, Transport transport) {
    for (const Trunk& t : p.trunks) {
        if ((t.transport && *t.transport != transport) || (t.sourcePort && *t.sourcePort != port)) {
            continue;
        }
        for (const Cidr& c : t.sources) {
            if (c.contains(source)) {
                return &t;
            }
        }
    }
    return nullptr;
}

void checkInbound(const PolicySnapshot& p, const boost::asio::ip::address& source) {
    if (!p.knownSource(source)) {
        fail("knownSource is false for a trunk's source", source.to_string());
    }
    for (Transport tr : {Transport::Udp, Transport::Tcp, Transport::Tls}) {
        for (std::uint16_t port : {std::uint16_t{5060}, std::uint16_t{5061}}) {
            if (p.inboundTrunk(source, port, tr) != linearInbound(p, source, port, tr)) {
                fail("inboundTrunk differs from a linear scan", source.to_string());
            }
        }
    }
}

void exercisePolicy(const PolicySnapshot& p) {
    for (const Trunk& t : p.trunks) {
        if (p.trunk(t.name) != &t) {
            fail("trunk(name) does not find the trunk", t.name);
        }
        for (const Cidr& c : t.sources) {
            checkInbound(p, c.network);
        }
        for (std::string_view user : {"+4930123"sv, ""sv, "alice"sv, "%2B1-555"sv}) {
            const Route* r = p.route(t, user);
            if (r != nullptr && p.trunk(r->targetTrunk) == nullptr) {
                fail("route to an unknown trunk", r->targetTrunk);
            }
        }
        exerciseAcl(t.acl);
    }
    exerciseAcl(p.acl);
    (void)p.knownSource(boost::asio::ip::make_address("192.0.2.1"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> files = writeFiles(in);
    CompileResult res = compilePolicy(files);
    checkDiagnostics(res, files);
    checkSame(res, compilePolicy(files));
    if (res.policy) {
        exercisePolicy(*res.policy);
    }
    return 0;
}
