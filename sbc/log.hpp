#pragma once
// Structured log lines on stderr, logfmt style: `ts=... level=info event=listening name=out-udp`.
// Control-plane only (never on a media hot path). Thread-safe per line.
#include <cstdio>
#include <string>
#include <string_view>

namespace sbc::log {

enum class Level { Debug, Info, Warn, Error };

void setLevel(Level level);
bool enabled(Level level);
// fields: already formatted "key=value key2=value2" (values quoted by quote() when needed).
void write(Level level, std::string_view event, std::string_view fields = {});
std::string quote(std::string_view value);

inline void info(std::string_view event, std::string_view fields = {}) {
    write(Level::Info, event, fields);
}
inline void warn(std::string_view event, std::string_view fields = {}) {
    write(Level::Warn, event, fields);
}
inline void error(std::string_view event, std::string_view fields = {}) {
    write(Level::Error, event, fields);
}
inline void debug(std::string_view event, std::string_view fields = {}) {
    if (enabled(Level::Debug)) {
        write(Level::Debug, event, fields);
    }
}

}  // namespace sbc::log
