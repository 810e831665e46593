// JWK and JWK Set parsing (RFC 7517, RFC 7518 section 6, RFC 8037) and PEM
// public keys, into PublicKey values pinned to the algorithms they allow.
#ifndef MASTRA_AUTH_JWK_H
#define MASTRA_AUTH_JWK_H

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mastra_auth/public_key.h"

namespace mastra_auth {

inline constexpr std::size_t kMaxKeysPerSet = 100;

// Where a key comes from decides what is trusted in it.  A remote set never
// provides HMAC secrets or private keys (a server that publishes them is
// broken or hostile), a local file may hold an oct key for HS*.
enum class KeySource { Local, Remote };

// One JWK.  False (and reason set) for a key that must not be used: unknown
// kty/crv, missing or malformed members, a weak RSA modulus, an EC point off
// its curve, use other than "sig", key_ops without "verify", an alg that
// does not fit the key, private members or oct in a remote set.
bool parse_jwk(const nlohmann::json &jwk, KeySource source, PublicKey &out, std::string &reason);

// One PEM "PUBLIC KEY" (SPKI): RSA, EC P-256/384/521 or Ed25519.
bool parse_pem_public_key(std::string_view pem, PublicKey &out, std::string &reason);

class KeySet {
public:
    // Parses a JWK Set document.  Unusable members are skipped and named in
    // skipped(); a malformed document (not JSON, no "keys" array, more than
    // kMaxKeysPerSet keys) returns false with error set.
    static bool parse(std::string_view text, KeySource source, KeySet &out, std::string &error);

    void add(PublicKey key);               // e.g. from a PEM file
    void merge(KeySet &&other);            // several files/URIs are united

    // The keys that may verify a token with this kid and alg: those with this
    // kid, and those with no kid at all.  kid_known is false when a kid was
    // given and no key of this set can take it (a refetch may help); a kid
    // held by two keys is ambiguous and matches nothing.
    std::vector<const PublicKey *> candidates(std::string_view kid, Algorithm alg,
                                              bool &kid_known) const;

    // Whether some key of this set carries exactly this kid (usable or not):
    // a kid-less key takes any kid, but does not make a kid known.
    bool holds_kid(std::string_view kid) const;

    std::size_t size() const { return keys_.size(); }
    const std::vector<std::string> &skipped() const { return skipped_; }
    const std::vector<PublicKey> &keys() const { return keys_; }

private:
    void mark_duplicates();
    static void prepare(PublicKey &key);   // HMAC secrets are made ready once

    std::vector<PublicKey> keys_;
    std::set<std::string> ambiguous_kids_;
    std::vector<std::string> skipped_;
};

}  // namespace mastra_auth

#endif
