#include "controlplane/policy/yaml_reader.hpp"

#include <cmath>
#include <set>

namespace sbc::policy {

std::string YamlReader::where(const YAML::Mark& m) const {
    if (m.line < 0) {
        return file_;
    }
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void YamlReader::error(const YAML::Mark& m, const std::string& msg) {
    ++errors_;
    out_.push_back({Diagnostic::Severity::Error, where(m) + ": error: " + msg});
}

void YamlReader::warning(const YAML::Mark& m, const std::string& msg) {
    out_.push_back({Diagnostic::Severity::Warning, where(m) + ": warning: " + msg});
}

bool YamlReader::mapping(const YAML::Node& n, std::string_view what,
                         std::initializer_list<std::string_view> keys) {
    if (!n.IsMap()) {
        error(n.Mark(), std::string(what) + " must be a mapping");
        return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
            error(kv.first.Mark(), "keys of " + std::string(what) + " must be strings");
            continue;
        }
        std::string k = kv.first.Scalar();
        bool known = false;
        for (auto allowed : keys) {
            known = known || k == allowed;
        }
        if (!known) {
            error(kv.first.Mark(), "unknown key '" + k + "' in " + std::string(what));
        } else if (!seen.insert(k).second) {
            error(kv.first.Mark(), "duplicate key '" + k + "' in " + std::string(what));
        }
    }
    return true;
}

bool YamlReader::require(const YAML::Node& n, std::string_view what,
                         std::initializer_list<std::string_view> required) {
    bool ok = true;
    for (auto k : required) {
        if (!n[std::string(k)]) {
            error(n.Mark(), std::string(what) + " needs '" + std::string(k) + "'");
            ok = false;
        }
    }
    return ok;
}

bool YamlReader::string(const YAML::Node& n, std::string_view key, std::string& out) {
    if (!n.IsScalar()) {
        error(n.Mark(), "'" + std::string(key) + "' must be a string");
        return false;
    }
    out = n.Scalar();
    return true;
}

bool YamlReader::integer(const YAML::Node& n, std::string_view key, long long min, long long max,
                         long long& out) {
    long long v = 0;
    bool isInt = false;
    if (n.IsScalar()) {
        try {
            v = n.as<long long>();
            isInt = true;
        } catch (const YAML::Exception&) {
        }
    }
    if (!isInt) {
        error(n.Mark(), "'" + std::string(key) + "' must be an integer");
        return false;
    }
    if (v < min || v > max) {
        error(n.Mark(), "'" + std::string(key) + "' must be between " + std::to_string(min) +
                            " and " + std::to_string(max));
        return false;
    }
    out = v;
    return true;
}

bool YamlReader::number(const YAML::Node& n, std::string_view key, double min, double max,
                        double& out) {
    double v = 0;
    bool isNum = false;
    if (n.IsScalar()) {
        try {
            v = n.as<double>();
            isNum = std::isfinite(v);
        } catch (const YAML::Exception&) {
        }
    }
    if (!isNum) {
        error(n.Mark(), "'" + std::string(key) + "' must be a number");
        return false;
    }
    if (v < min || v > max) {
        auto fmt = [](double d) {
            std::string s = std::to_string(d);
            s.erase(s.find_last_not_of('0') + 1);
            if (!s.empty() && s.back() == '.') {
                s.pop_back();
            }
            return s;
        };
        error(n.Mark(),
              "'" + std::string(key) + "' must be between " + fmt(min) + " and " + fmt(max));
        return false;
    }
    out = v;
    return true;
}

bool YamlReader::boolean(const YAML::Node& n, std::string_view key, bool& out) {
    if (n.IsScalar()) {
        try {
            out = n.as<bool>();
            return true;
        } catch (const YAML::Exception&) {
        }
    }
    error(n.Mark(), "'" + std::string(key) + "' must be true or false");
    return false;
}

bool YamlReader::strings(const YAML::Node& n, std::string_view key, std::vector<std::string>& out,
                         std::vector<YAML::Mark>* marks) {
    if (!n.IsSequence()) {
        error(n.Mark(), "'" + std::string(key) + "' must be a list");
        return false;
    }
    bool ok = true;
    for (const auto& e : n) {
        if (!e.IsScalar()) {
            error(e.Mark(), "entries of '" + std::string(key) + "' must be strings");
            ok = false;
            continue;
        }
        out.push_back(e.Scalar());
        if (marks != nullptr) {
            marks->push_back(e.Mark());
        }
    }
    return ok;
}

bool YamlReader::oneOf(const YAML::Node& n, std::string_view key,
                       std::initializer_list<std::string_view> values, std::string& out) {
    std::string v;
    if (!string(n, key, v)) {
        return false;
    }
    for (auto allowed : values) {
        if (v == allowed) {
            out = v;
            return true;
        }
    }
    std::string list;
    size_t i = 0;
    for (auto allowed : values) {
        list += (i == 0 ? "" : (i + 1 == values.size() ? " or " : ", ")) + std::string(allowed);
        ++i;
    }
    error(n.Mark(), "'" + std::string(key) + "' must be " + list + ", not '" + v + "'");
    return false;
}

}  // namespace sbc::policy
