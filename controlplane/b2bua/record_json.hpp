#pragma once
// The JSON that call records are written in (RFC 8259), reduced to what they use: objects,
// arrays, strings, non-negative integers, true/false and null. No fractions or exponents, no
// negative numbers; duplicate object keys are an error. The reader is for untrusted bytes (a
// record file may be truncated, corrupt or planted): every limit is bounded (input size, nesting
// depth, element count) and every failure is a message, never an exception or a crash.
//
// Threading: plain values and free functions; no shared state.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sbc::b2bua::json {

struct Value;
using Array = std::vector<Value>;
using Object = std::map<std::string, Value, std::less<>>;

struct Value {
    std::variant<std::nullptr_t, bool, std::uint64_t, std::string, Array, Object> v;

    bool isNull() const noexcept { return std::holds_alternative<std::nullptr_t>(v); }
    const bool* boolean() const noexcept { return std::get_if<bool>(&v); }
    const std::uint64_t* number() const noexcept { return std::get_if<std::uint64_t>(&v); }
    const std::string* string() const noexcept { return std::get_if<std::string>(&v); }
    const Array* array() const noexcept { return std::get_if<Array>(&v); }
    const Object* object() const noexcept { return std::get_if<Object>(&v); }
};

struct Limits {
    std::size_t maxBytes = 256 * 1024;
    std::size_t maxDepth = 16;
    std::size_t maxElements = 16384;  // values in the whole document
};

struct ParseResult {
    std::optional<Value> value;
    std::string error;  // "offset N: message" when value is empty
};

// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
ParseResult parse(std::string_view text, const Limits& limits = {});

// Appends `s` as a JSON string (quotes, escapes for '"', '\\' and control characters; other
// bytes as they are, so any byte string round-trips).
void appendString(std::string& out, std::string_view s);

// Builds one JSON object or array as text, in the order fields are added.
class Writer {
  public:
    Writer& open(std::string_view key = {});  // an object, as a field of the current object
    Writer& close();
    Writer& openArray(std::string_view key = {});
    Writer& closeArray();
    Writer& field(std::string_view key, std::string_view value);
    Writer& number(std::string_view key, std::uint64_t value);
    Writer& flag(std::string_view key, bool value);
    Writer& null(std::string_view key);
    Writer& element(std::string_view value);  // a string inside an array
    std::string take() { return std::move(out_); }

  private:
    void key(std::string_view k);
    std::string out_;
    bool first_ = true;
};

}  // namespace sbc::b2bua::json
