#pragma once
// Typed reads from a yaml-cpp node tree with FILE:LINE:COL diagnostics (yaml-cpp Marks are
// 0-based; messages are 1-based like compilers'). Used by the policy compiler only.
//
// Threading: one per compile; not shared.
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/policy/compile.hpp"

namespace sbc::policy {

class YamlReader {
  public:
    YamlReader(std::string file, std::vector<Diagnostic>& out)
        : file_(std::move(file)), out_(out) {}

    const std::string& file() const { return file_; }
    std::string where(const YAML::Mark& m) const;

    void error(const YAML::Mark& m, const std::string& msg);
    void warning(const YAML::Mark& m, const std::string& msg);
    std::size_t errorCount() const { return errors_; }

    // A mapping with only `keys` (each at most once); errors name `what` ("trunk", "acl rule").
    bool mapping(const YAML::Node& n, std::string_view what,
                 std::initializer_list<std::string_view> keys);
    // Errors for keys in `required` that `n` lacks; true when all are present.
    bool require(const YAML::Node& n, std::string_view what,
                 std::initializer_list<std::string_view> required);

    bool string(const YAML::Node& n, std::string_view key, std::string& out);
    bool integer(const YAML::Node& n, std::string_view key, long long min, long long max,
                 long long& out);
    bool number(const YAML::Node& n, std::string_view key, double min, double max, double& out);
    bool boolean(const YAML::Node& n, std::string_view key, bool& out);
    // A list of scalars (a single scalar is not accepted: lists are always written as lists).
    bool strings(const YAML::Node& n, std::string_view key, std::vector<std::string>& out,
                 std::vector<YAML::Mark>* marks = nullptr);
    // One of `values`; the error lists them.
    bool oneOf(const YAML::Node& n, std::string_view key,
               std::initializer_list<std::string_view> values, std::string& out);

  private:
    std::string file_;
    std::vector<Diagnostic>& out_;
    std::size_t errors_ = 0;
};

}  // namespace sbc::policy
