#pragma once
// HTTP Digest authentication as SIP uses it towards trunks that challenge (RFC 3261 §22.4 with
// RFC 7616's algorithms and qop=auth, RFC 8760 for SHA-256 in SIP): parse a WWW-Authenticate /
// Proxy-Authenticate challenge, compute the Authorization / Proxy-Authorization answer.
//
// The challenge is untrusted input: parsing never throws or asserts, and is bounded by the
// header size limits of the SIP parser (fuzzed: tests/b2bua/digest_fuzz.cpp).
//
// Threading: pure functions.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sbc::b2bua {

enum class DigestAlgorithm : unsigned char { Md5, Md5Sess, Sha256, Sha256Sess };

struct DigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;
    bool hasOpaque = false;
    DigestAlgorithm algorithm = DigestAlgorithm::Md5;
    bool qopAuth = false;  // the server offered qop "auth" (auth-int is not used)
    bool stale = false;
};

// Parses one challenge value ("Digest realm=..., nonce=..., ..."). nullopt when it is not a
// Digest challenge, lacks realm or nonce, names an algorithm we do not implement, or is malformed.
std::optional<DigestChallenge> parseDigestChallenge(std::string_view value);

// RFC 8760 §2.4: of several challenges, the first with the strongest algorithm we implement
// (SHA-256 over MD5).
std::optional<DigestChallenge> chooseChallenge(std::span<const std::string_view> values);

struct DigestCredentials {
    std::string username;
    std::string password;
};

// The Authorization / Proxy-Authorization value for `method` on `uri` (RFC 7616 §3.4).
// `cnonce` is the client nonce (random, hex), `nc` the nonce count (1 for a fresh nonce).
std::string digestAuthorization(const DigestChallenge& c, const DigestCredentials& creds,
                                std::string_view method, std::string_view uri,
                                std::string_view cnonce, unsigned nc = 1);

// Lower-case hex of MD5 / SHA-256, as RFC 7616 §3.4 uses them.
std::string digestHash(DigestAlgorithm a, std::string_view data);

}  // namespace sbc::b2bua
