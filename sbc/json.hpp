#pragma once
// A small JSON writer for the admin channel's answers (objects, arrays, numbers, strings).
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace sbc {

class Json {
  public:
    void open(std::string_view key = {}) {
        sep();
        if (!key.empty()) {
            str(key);
            out_ += ':';
        }
        out_ += '{';
        first_ = true;
    }
    void close() {
        out_ += '}';
        first_ = false;
    }
    void openArray(std::string_view key) {
        sep();
        str(key);
        out_ += ":[";
        first_ = true;
    }
    void closeArray() {
        out_ += ']';
        first_ = false;
    }
    void num(std::string_view key, uint64_t v) {
        sep();
        str(key);
        out_ += ':';
        out_ += std::to_string(v);
    }
    void boolean(std::string_view key, bool v) {
        sep();
        str(key);
        out_ += v ? ":true" : ":false";
    }
    // An object inside an array.
    void openElement() { open(); }
    void text(std::string_view key, std::string_view v) {
        sep();
        str(key);
        out_ += ':';
        str(v);
    }
    std::string take() { return std::move(out_); }

  private:
    void sep() {
        if (!first_) {
            out_ += ',';
        }
        first_ = false;
    }
    void str(std::string_view s) {
        out_ += '"';
        for (char c : s) {
            if (c == '"' || c == '\\') {
                out_ += '\\';
                out_ += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out_ += buf;
            } else {
                out_ += c;
            }
        }
        out_ += '"';
    }
    std::string out_;
    bool first_ = true;
};

}  // namespace sbc
