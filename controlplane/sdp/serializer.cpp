// SDP serializer: CRLF-terminated lines in the order of RFC 8866 §5.
#include <string>

#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Appends `text` without CR, LF and NUL: values set by the B2BUA (or copied from elsewhere) must
// not be able to terminate the line early and inject lines of their own.
void appendText(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c != '\r' && c != '\n' && c != '\0') {
            out += c;
        }
    }
}

void appendLine(std::string& out, char type, std::string_view value) {
    out += type;
    out += '=';
    appendText(out, value);
    out += kCrlf;
}

void appendConnection(std::string& out, const Connection& c) {
    appendLine(out, 'c', c.toString());
}

void appendBandwidths(std::string& out, const std::vector<Bandwidth>& bandwidths) {
    for (const auto& b : bandwidths) {
        appendLine(out, 'b', b.toString());
    }
}

void appendAttributes(std::string& out, const AttributeList& attrs) {
    for (const auto& a : attrs) {
        out += "a=";
        appendText(out, a.name);
        if (a.value) {
            out += ':';
            appendText(out, *a.value);
        }
        out += kCrlf;
    }
}

void appendMedia(std::string& out, const MediaDescription& m) {
    // RFC 8866 §5.14 and §5: m= i= c=* b=* k= a=*
    out += "m=";
    appendText(out, m.media);
    out += ' ';
    out += std::to_string(m.port);
    if (m.portCount) {
        out += '/';
        out += std::to_string(*m.portCount);
    }
    out += ' ';
    appendText(out, m.proto);
    for (const auto& f : m.formats) {
        out += ' ';
        appendText(out, f);
    }
    out += kCrlf;
    if (m.information) {
        appendLine(out, 'i', *m.information);
    }
    for (const auto& c : m.connections) {
        appendConnection(out, c);
    }
    appendBandwidths(out, m.bandwidths);
    if (m.key) {
        appendLine(out, 'k', *m.key);
    }
    appendAttributes(out, m.attributes);
}

}  // namespace

std::string serialize(const SessionDescription& sd) {
    std::string out;
    out.reserve(512 + 256 * sd.media.size());
    // RFC 8866 §5: v= o= s= i= u= e=* p=* c= b=* (t= r=* z=)* k= a=* then media descriptions.
    appendLine(out, 'v', std::to_string(sd.version));
    appendLine(out, 'o', sd.origin.toString());
    appendLine(out, 's', sd.sessionName);
    if (sd.information) {
        appendLine(out, 'i', *sd.information);
    }
    if (sd.uri) {
        appendLine(out, 'u', *sd.uri);
    }
    for (const auto& e : sd.emails) {
        appendLine(out, 'e', e);
    }
    for (const auto& p : sd.phones) {
        appendLine(out, 'p', p);
    }
    if (sd.connection) {
        appendConnection(out, *sd.connection);
    }
    appendBandwidths(out, sd.bandwidths);
    for (const auto& t : sd.timings) {
        appendLine(out, 't', t.start + ' ' + t.stop);
        for (const auto& r : t.repeats) {
            appendLine(out, 'r', r);
        }
        if (t.zone) {
            appendLine(out, 'z', *t.zone);
        }
    }
    if (sd.key) {
        appendLine(out, 'k', *sd.key);
    }
    appendAttributes(out, sd.attributes);
    for (const auto& m : sd.media) {
        appendMedia(out, m);
    }
    return out;
}

}  // namespace sbc::sdp
