#include "controlplane/b2bua/record_json.hpp"

#include <cstdio>

namespace sbc::b2bua::json {

namespace {

class Parser {
  public:
    Parser(std::string_view text, const Limits& limits) : s_(text), limits_(limits) {}

    ParseResult run() {
        ParseResult out;
        if (s_.size() > limits_.maxBytes) {
            out.error =
                "offset 0: document larger than " + std::to_string(limits_.maxBytes) + " bytes";
            return out;
        }
        Value v;
        skipSpace();
        if (!value(v, 0)) {
            out.error = "offset " + std::to_string(pos_) + ": " + error_;
            return out;
        }
        skipSpace();
        if (pos_ != s_.size()) {
            out.error = "offset " + std::to_string(pos_) + ": unexpected data after the document";
            return out;
        }
        out.value = std::move(v);
        return out;
    }

  private:
    bool fail(const char* why) {
        error_ = why;
        return false;
    }
    void skipSpace() {
        // RFC 8259 §2: ws = space, horizontal tab, line feed, carriage return.
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) {
            return fail("unexpected character");
        }
        pos_ += word.size();
        return true;
    }

    bool value(Value& out, std::size_t depth) {
        if (++elements_ > limits_.maxElements) {
            return fail("too many values");
        }
        if (pos_ >= s_.size()) {
            return fail("unexpected end of document");
        }
        char c = s_[pos_];
        switch (c) {
            case '{':
                return object(out, depth + 1);
            case '[':
                return array(out, depth + 1);
            case '"': {
                std::string str;
                if (!string(str)) {
                    return false;
                }
                out.v = std::move(str);
                return true;
            }
            case 't':
                out.v = true;
                return literal("true");
            case 'f':
                out.v = false;
                return literal("false");
            case 'n':
                out.v = nullptr;
                return literal("null");
            case '-':
                return fail("negative numbers are not used in call records");
            default:
                if (c >= '0' && c <= '9') {
                    return number(out);
                }
                return fail("unexpected character");
        }
    }

    bool number(Value& out) {
        // RFC 8259 §6, integers only: 0 or a digit 1-9 followed by digits.
        std::uint64_t n = 0;
        std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            auto d = static_cast<std::uint64_t>(s_[pos_] - '0');
            if (n > (UINT64_MAX - d) / 10) {
                return fail("number out of range");
            }
            n = n * 10 + d;
            ++pos_;
        }
        if (s_[start] == '0' && pos_ - start > 1) {
            return fail("leading zero in a number");
        }
        if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
            return fail("fractions and exponents are not used in call records");
        }
        out.v = n;
        return true;
    }

    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
    bool hex4(std::uint32_t& out) {
        if (s_.size() - pos_ < 4) {
            return fail("truncated \\u escape");
        }
        out = 0;
        for (int i = 0; i < 4; ++i) {
            int d = hexDigit(s_[pos_++]);
            if (d < 0) {
                return fail("bad \\u escape");
            }
            out = out * 16 + static_cast<std::uint32_t>(d);
        }
        return true;
    }
    static void appendUtf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
    }

    bool string(std::string& out) {
        ++pos_;  // the opening quote
        while (true) {
            if (pos_ >= s_.size()) {
                return fail("unterminated string");
            }
            char c = s_[pos_++];
            if (c == '"') {
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                return fail("control character in a string");
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= s_.size()) {
                return fail("unterminated string");
            }
            char e = s_[pos_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(e);
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!hex4(cp)) {
                        return false;
                    }
                    // RFC 8259 §7: characters beyond the BMP as a UTF-16 surrogate pair.
                    if (cp >= 0xd800 && cp <= 0xdbff) {
                        std::uint32_t low = 0;
                        if (s_.substr(pos_, 2) != "\\u") {
                            return fail("unpaired surrogate");
                        }
                        pos_ += 2;
                        if (!hex4(low)) {
                            return false;
                        }
                        if (low < 0xdc00 || low > 0xdfff) {
                            return fail("unpaired surrogate");
                        }
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                        return fail("unpaired surrogate");
                    }
                    appendUtf8(out, cp);
                    break;
                }
                default:
                    return fail("bad escape");
            }
        }
    }

    bool array(Value& out, std::size_t depth) {
        if (depth > limits_.maxDepth) {
            return fail("nested too deeply");
        }
        ++pos_;
        Array items;
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            out.v = std::move(items);
            return true;
        }
        while (true) {
            skipSpace();
            Value item;
            if (!value(item, depth)) {
                return false;
            }
            items.push_back(std::move(item));
            skipSpace();
            if (pos_ >= s_.size()) {
                return fail("unterminated array");
            }
            char c = s_[pos_++];
            if (c == ']') {
                out.v = std::move(items);
                return true;
            }
            if (c != ',') {
                return fail("expected ',' or ']'");
            }
        }
    }

    bool object(Value& out, std::size_t depth) {
        if (depth > limits_.maxDepth) {
            return fail("nested too deeply");
        }
        ++pos_;
        Object fields;
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            out.v = std::move(fields);
            return true;
        }
        while (true) {
            skipSpace();
            if (pos_ >= s_.size() || s_[pos_] != '"') {
                return fail("expected a field name");
            }
            std::string key;
            if (!string(key)) {
                return false;
            }
            skipSpace();
            if (pos_ >= s_.size() || s_[pos_] != ':') {
                return fail("expected ':'");
            }
            ++pos_;
            skipSpace();
            Value item;
            if (!value(item, depth)) {
                return false;
            }
            if (!fields.emplace(std::move(key), std::move(item)).second) {
                return fail("duplicate field name");
            }
            skipSpace();
            if (pos_ >= s_.size()) {
                return fail("unterminated object");
            }
            char c = s_[pos_++];
            if (c == '}') {
                out.v = std::move(fields);
                return true;
            }
            if (c != ',') {
                return fail("expected ',' or '}'");
            }
        }
    }

    std::string_view s_;
    const Limits& limits_;
    std::size_t pos_ = 0;
    std::size_t elements_ = 0;
    std::string error_;
};

}  // namespace

ParseResult parse(std::string_view text, const Limits& limits) {
    return Parser(text, limits).run();
}

void appendString(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out.append(buf);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

void Writer::key(std::string_view k) {
    if (!first_) {
        out_.push_back(',');
    }
    first_ = false;
    if (!k.empty()) {
        appendString(out_, k);
        out_.push_back(':');
    }
}

Writer& Writer::open(std::string_view k) {
    key(k);
    out_.push_back('{');
    first_ = true;
    return *this;
}

Writer& Writer::close() {
    out_.push_back('}');
    first_ = false;
    return *this;
}

Writer& Writer::openArray(std::string_view k) {
    key(k);
    out_.push_back('[');
    first_ = true;
    return *this;
}

Writer& Writer::closeArray() {
    out_.push_back(']');
    first_ = false;
    return *this;
}

Writer& Writer::field(std::string_view k, std::string_view value) {
    key(k);
    appendString(out_, value);
    return *this;
}

Writer& Writer::number(std::string_view k, std::uint64_t value) {
    key(k);
    out_.append(std::to_string(value));
    return *this;
}

Writer& Writer::flag(std::string_view k, bool value) {
    key(k);
    out_.append(value ? "true" : "false");
    return *this;
}

Writer& Writer::null(std::string_view k) {
    key(k);
    out_.append("null");
    return *this;
}

Writer& Writer::element(std::string_view value) {
    key({});
    appendString(out_, value);
    return *this;
}

}  // namespace sbc::b2bua::json
