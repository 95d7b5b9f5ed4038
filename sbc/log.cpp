#include "sbc/log.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

namespace sbc::log {

namespace {
std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::mutex gMu;

const char* name(Level l) {
    switch (l) {
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warn";
        case Level::Error:
            return "error";
    }
    return "info";
}
}  // namespace

void setLevel(Level level) {
    gLevel = static_cast<int>(level);
}
bool enabled(Level level) {
    return static_cast<int>(level) >= gLevel.load();
}

std::string quote(std::string_view v) {
    bool plain = !v.empty();
    for (char c : v) {
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            plain = false;
        }
    }
    if (plain) {
        return std::string(v);
    }
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
    return out;
}

void write(Level level, std::string_view event, std::string_view fields) {
    if (!enabled(level)) {
        return;
    }
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard<std::mutex> lock(gMu);
    std::fprintf(stderr, "ts=%s.%03dZ level=%s event=%.*s%s%.*s\n", ts, static_cast<int>(ms),
                 name(level), static_cast<int>(event.size()), event.data(),
                 fields.empty() ? "" : " ", static_cast<int>(fields.size()), fields.data());
    std::fflush(stderr);
}

}  // namespace sbc::log
