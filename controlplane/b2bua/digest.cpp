#include "controlplane/b2bua/digest.hpp"

#include <openssl/evp.h>

#include <cstdio>

#include "controlplane/sip/chars.hpp"
#include "controlplane/sip/params.hpp"

namespace sbc::b2bua {

namespace {

bool isSess(DigestAlgorithm a) {
    return a == DigestAlgorithm::Md5Sess || a == DigestAlgorithm::Sha256Sess;
}

std::string_view algorithmName(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::Md5:
            return "MD5";
        case DigestAlgorithm::Md5Sess:
            return "MD5-sess";
        case DigestAlgorithm::Sha256:
            return "SHA-256";
        case DigestAlgorithm::Sha256Sess:
            return "SHA-256-sess";
    }
    return "MD5";
}

int strength(DigestAlgorithm a) {
    return a == DigestAlgorithm::Sha256 || a == DigestAlgorithm::Sha256Sess ? 2 : 1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// A quoted-string value of a challenge may not carry '"' or '\\' back out unescaped.
std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        if (c == '\r' || c == '\n') {
            continue;
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

}  // namespace

std::string digestHash(DigestAlgorithm a, std::string_view data) {
    const EVP_MD* md = strength(a) == 2 ? EVP_sha256() : EVP_md5();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        hex.push_back(kHex[out[i] >> 4]);
        hex.push_back(kHex[out[i] & 0xf]);
    }
    return hex;
}

std::optional<DigestChallenge> parseDigestChallenge(std::string_view value) {
    value = trim(value);
    if (value.size() < 7 || !sip::chars::iequals(value.substr(0, 6), "Digest") ||
        (value[6] != ' ' && value[6] != '\t')) {
        return std::nullopt;
    }
    DigestChallenge c;
    bool haveRealm = false;
    bool haveNonce = false;
    bool ok = sip::splitList(value.substr(7), [&](std::string_view param) {
        size_t eq = param.find('=');
        if (eq == std::string_view::npos) {
            return false;
        }
        std::string_view name = trim(param.substr(0, eq));
        std::string_view raw = trim(param.substr(eq + 1));
        std::string v;
        if (!raw.empty() && raw.front() == '"') {
            size_t pos = 0;
            if (!sip::scanQuotedString(raw, pos) || pos != raw.size()) {
                return false;
            }
            v = sip::unquote(raw);
        } else {
            v = std::string(raw);
        }
        if (sip::chars::iequals(name, "realm")) {
            c.realm = std::move(v);
            haveRealm = true;
        } else if (sip::chars::iequals(name, "nonce")) {
            c.nonce = std::move(v);
            haveNonce = true;
        } else if (sip::chars::iequals(name, "opaque")) {
            c.opaque = std::move(v);
            c.hasOpaque = true;
        } else if (sip::chars::iequals(name, "stale")) {
            c.stale = sip::chars::iequals(v, "true");
        } else if (sip::chars::iequals(name, "algorithm")) {
            if (sip::chars::iequals(v, "MD5")) {
                c.algorithm = DigestAlgorithm::Md5;
            } else if (sip::chars::iequals(v, "MD5-sess")) {
                c.algorithm = DigestAlgorithm::Md5Sess;
            } else if (sip::chars::iequals(v, "SHA-256")) {
                c.algorithm = DigestAlgorithm::Sha256;
            } else if (sip::chars::iequals(v, "SHA-256-sess")) {
                c.algorithm = DigestAlgorithm::Sha256Sess;
            } else {
                return false;  // e.g. SHA-512-256: not implemented
            }
        } else if (sip::chars::iequals(name, "qop")) {
            sip::splitList(v, [&](std::string_view q) {
                if (sip::chars::iequals(trim(q), "auth")) {
                    c.qopAuth = true;
                }
                return true;
            });
        }
        return true;
    });
    if (!ok || !haveRealm || !haveNonce || c.nonce.empty()) {
        return std::nullopt;
    }
    return c;
}

std::optional<DigestChallenge> chooseChallenge(std::span<const std::string_view> values) {
    std::optional<DigestChallenge> best;
    for (std::string_view v : values) {
        std::optional<DigestChallenge> c = parseDigestChallenge(v);
        if (c && (!best || strength(c->algorithm) > strength(best->algorithm))) {
            best = std::move(c);
        }
    }
    return best;
}

std::string digestAuthorization(const DigestChallenge& c, const DigestCredentials& creds,
                                std::string_view method, std::string_view uri,
                                std::string_view cnonce, unsigned nc) {
    char ncText[9];
    std::snprintf(ncText, sizeof ncText, "%08x", nc);
    // RFC 7616 §3.4.2: A1 = user:realm:pass (-sess: H(user:realm:pass):nonce:cnonce).
    std::string ha1 =
        digestHash(c.algorithm, creds.username + ":" + c.realm + ":" + creds.password);
    if (isSess(c.algorithm)) {
        ha1 = digestHash(c.algorithm, ha1 + ":" + c.nonce + ":" + std::string(cnonce));
    }
    // §3.4.3: A2 = method:uri (qop=auth or none).
    std::string ha2 = digestHash(c.algorithm, std::string(method) + ":" + std::string(uri));
    // §3.4.1: response = H(HA1:nonce:nc:cnonce:qop:HA2), or RFC 2069 style without qop.
    std::string response = c.qopAuth
                               ? digestHash(c.algorithm, ha1 + ":" + c.nonce + ":" + ncText + ":" +
                                                             std::string(cnonce) + ":auth:" + ha2)
                               : digestHash(c.algorithm, ha1 + ":" + c.nonce + ":" + ha2);
    std::string out = "Digest username=" + quoted(creds.username) + ", realm=" + quoted(c.realm) +
                      ", nonce=" + quoted(c.nonce) + ", uri=" + quoted(uri) +
                      ", response=" + quoted(response) +
                      ", algorithm=" + std::string(algorithmName(c.algorithm));
    if (c.qopAuth) {
        out += ", cnonce=" + quoted(cnonce) + ", qop=auth, nc=" + ncText;
    }
    if (c.hasOpaque) {
        out += ", opaque=" + quoted(c.opaque);
    }
    return out;
}

}  // namespace sbc::b2bua
