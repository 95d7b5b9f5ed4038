#pragma once
// Policy files -> an immutable PolicySnapshot, or a list of FILE:LINE:COL messages.
//
// The one entry point both `sbc policy check` and reload use (STYLE.md #4): loads every file
// (YAML, schema version 1, policies/README.md), checks each field, then the set as a whole
// (names unique across files, routes naming existing trunks, unreachable rules and routes), and
// compiles the lookup structures. Pure function of the files' contents.
//
// Threading: no shared state; safe on any thread (reload runs it on a worker thread).
#include <string>
#include <vector>

#include "controlplane/policy/model.hpp"

namespace sbc::policy {

struct Diagnostic {
    enum class Severity : std::uint8_t { Error, Warning };
    Severity severity = Severity::Error;
    std::string text;  // "FILE:LINE:COL: error: message" or "...: warning: message"
};

struct CompileResult {
    PolicyPtr policy;  // null when there is any error
    std::vector<Diagnostic> diagnostics;
    std::size_t errors() const;
};

CompileResult compilePolicy(const std::vector<std::string>& files);

}  // namespace sbc::policy
