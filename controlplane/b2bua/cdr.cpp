#include "controlplane/b2bua/cdr.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "controlplane/b2bua/record_json.hpp"

namespace sbc::b2bua {

namespace {

using json::appendString;

void appendTime(std::string& out, WallClock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((ms % 1000 + 1000) % 1000));
    out.append(buf);
}

void field(std::string& out, std::string_view name) {
    if (out.size() > 1) {
        out.push_back(',');
    }
    appendString(out, name);
    out.push_back(':');
}

}  // namespace

std::string toJson(const CdrRecord& r) {
    std::string out = "{";
    field(out, "id");
    out.append(std::to_string(r.id));
    field(out, "a_call_id");
    appendString(out, r.aCallId);
    field(out, "b_call_id");
    appendString(out, r.bCallId);
    field(out, "from_trunk");
    appendString(out, r.fromTrunk);
    field(out, "to_trunk");
    appendString(out, r.toTrunk);
    field(out, "caller");
    appendString(out, r.caller);
    field(out, "callee");
    appendString(out, r.callee);
    field(out, "destination");
    appendString(out, r.destination);
    field(out, "start");
    appendTime(out, r.start);
    field(out, "answer");
    if (r.answer) {
        appendTime(out, *r.answer);
    } else {
        out.append("null");
    }
    field(out, "end");
    appendTime(out, r.end);
    field(out, "duration_ms");
    out.append(std::to_string(
        r.answer ? std::chrono::duration_cast<std::chrono::milliseconds>(r.end - *r.answer).count()
                 : 0));
    field(out, "result");
    out.append(std::to_string(r.result));
    field(out, "reason");
    appendString(out, r.reason);
    field(out, "media");
    out.push_back('[');
    for (size_t i = 0; i < r.media.size(); ++i) {
        const media::MediaStats& m = r.media[i];
        if (i > 0) {
            out.push_back(',');
        }
        out.append("{\"stream\":").append(std::to_string(i / 2));
        out.append(",\"leg\":\"").append(i % 2 == 0 ? "a" : "b").append("\"");
        out.append(",\"packets\":").append(std::to_string(m.packets));
        out.append(",\"bytes\":").append(std::to_string(m.bytes));
        out.append(",\"lost\":").append(std::to_string(m.lost)).append("}");
    }
    out.append("]}");
    return out;
}

FileCdrWriter::FileCdrWriter(const std::string& path) {
    file_ = std::fopen(path.c_str(), "ae");
    if (file_ == nullptr) {
        throw std::runtime_error("cannot open CDR file " + path + ": " + std::strerror(errno));
    }
}

FileCdrWriter::~FileCdrWriter() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

void FileCdrWriter::write(const CdrRecord& record) {
    std::string line = toJson(record);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
        ++failures_;
    }
}

}  // namespace sbc::b2bua
