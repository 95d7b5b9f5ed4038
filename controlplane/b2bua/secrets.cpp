#include "controlplane/b2bua/secrets.hpp"

#include <yaml-cpp/yaml.h>

namespace sbc::b2bua {

namespace {

std::string where(const std::string& path, const YAML::Mark& mark) {
    std::string w = path;
    if (mark.line >= 0) {
        w += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    return w;
}

}  // namespace

std::optional<CredentialMap> loadSecrets(const std::string& path,
                                         std::vector<std::string>& errors) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        errors.push_back(path + ": error: cannot read file");
        return std::nullopt;
    } catch (const YAML::Exception& e) {
        // The parser's message may quote the offending text: only the position is reported.
        errors.push_back(where(path, e.mark) + ": error: not valid YAML");
        return std::nullopt;
    }
    size_t before = errors.size();
    CredentialMap out;
    const YAML::Node creds = root.IsMap() ? root["credentials"] : YAML::Node();
    if (!creds || !creds.IsMap()) {
        errors.push_back(where(path, root.Mark()) +
                         ": error: the secrets file needs a 'credentials' mapping");
        return std::nullopt;
    }
    for (const auto& kv : creds) {
        std::string name = kv.first.as<std::string>();
        const YAML::Node& e = kv.second;
        if (!e.IsMap() || !e["username"] || !e["password"] || !e["username"].IsScalar() ||
            !e["password"].IsScalar()) {
            errors.push_back(where(path, e.Mark()) + ": error: credentials '" + name +
                             "' need 'username' and 'password' strings");
            continue;
        }
        for (const auto& field : e) {
            std::string k = field.first.as<std::string>();
            if (k != "username" && k != "password") {
                errors.push_back(where(path, field.first.Mark()) + ": error: unknown key '" + k +
                                 "' in credentials");
            }
        }
        out[name] =
            DigestCredentials{e["username"].as<std::string>(), e["password"].as<std::string>()};
    }
    if (errors.size() != before) {
        return std::nullopt;
    }
    return out;
}

}  // namespace sbc::b2bua
