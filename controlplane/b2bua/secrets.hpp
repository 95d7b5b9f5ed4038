#pragma once
// The secrets file: digest credentials sbc presents to trunks that challenge it, by the name a
// trunk's `credentials` field gives. Kept apart from policy files (security teams read those) and
// from logs: nothing here is ever printed; errors name the file, line and column only.
//
//   credentials:
//     carrier-a: {username: "sbc-edge-1", password: "..."}
//
// Threading: loaded at start-up (and on reload) on the main thread; the map is then read-only.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/b2bua/digest.hpp"

namespace sbc::b2bua {

using CredentialMap = std::map<std::string, DigestCredentials, std::less<>>;

// Loads `path`; on error returns nullopt and appends "FILE:LINE:COL: error: message" lines.
std::optional<CredentialMap> loadSecrets(const std::string& path, std::vector<std::string>& errors);

}  // namespace sbc::b2bua
