// JwsVerifier over key sets (the JWKS providers): key confusion (catalogue
// K1, K2, K4), kid handling (H6, K8, J9), embedded keys (H5), RFC 9864 names
// and the location allow-list.  Tokens are signed here with OpenSSL.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "key_helpers.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/verifier.h"

using mastra_auth::Algorithm;
using mastra_auth::algorithm_name;
using mastra_auth::bit_of;
using mastra_auth::Identity;
using mastra_auth::JwsVerifier;
using mastra_auth::KeySet;
using mastra_auth::KeySource;
using mastra_auth::PublicKey;
using mastra_auth::Status;
using namespace mastra_auth::test;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kPayload = R"({"sub":"user-1","exp":1700003600})";

std::string header(Algorithm alg, const std::string &kid = "", const Json &extra = Json::object()) {
    Json h = extra;
    h["alg"] = std::string(algorithm_name(alg));
    if (!kid.empty()) h["kid"] = kid;
    return h.dump();
}

// A compact JWS over header_json and payload, signed with key (or secret for HS*).
std::string token(const std::string &header_json, Algorithm alg, EVP_PKEY *key, const std::string &secret = {},
                  const std::string &payload = kPayload) {
    const std::string input = b64u(header_json) + "." + b64u(payload);
    return input + "." + b64u(jws_sign(alg, key, input, secret));
}

KeySet parse_set(const std::vector<Json> &keys, KeySource source = KeySource::Remote) {
    KeySet set;
    std::string error;
    EXPECT_TRUE(KeySet::parse(Json{{"keys", keys}}.dump(), source, set, error)) << error;
    return set;
}

KeySet pem_set(EVP_PKEY *key) {
    KeySet set;
    PublicKey parsed;
    std::string reason;
    EXPECT_TRUE(mastra_auth::parse_pem_public_key(public_pem(key), parsed, reason)) << reason;
    set.add(std::move(parsed));
    return set;
}

Json kid_jwk(EVP_PKEY *key, const std::string &kid) {
    Json jwk = public_jwk(key);
    jwk["kid"] = kid;
    return jwk;
}

Status verify(const JwsVerifier &verifier, const std::string &tok, const std::vector<const KeySet *> &sets,
              Identity *out = nullptr) {
    Identity identity;
    Status status = verifier.verify(tok, kNow, sets, identity);
    if (out) *out = identity;
    if (status != Status::Ok) {
        // Nothing of an unverified payload reaches the identity.
        EXPECT_FALSE(identity.has_claims());
        EXPECT_EQ(identity.user, "");
    }
    return status;
}

bool refused_as_confusion(Status s) { return s == Status::AlgorithmNotAllowed || s == Status::BadSignature; }

const std::string kOctSecret = "an-hmac-secret-of-thirty-two-b!!";

}  // namespace

// ---- K1 / K2: HS256 signed with the public key's bytes -----------------------

TEST(KeyConfusion, Hs256SignedWithTheRsaPublicKeyIsRefused) {
    EVP_PKEY *rsa = cached_key("RSA-2048");
    const Json jwk = public_jwk(rsa);
    const std::string n = unb64u(jwk["n"].get<std::string>());
    const std::vector<std::pair<std::string, std::string>> secrets = {
        {"PEM", public_pem(rsa)},
        {"PEM without trailing newline", public_pem(rsa).substr(0, public_pem(rsa).size() - 1)},
        {"DER", public_der(rsa)},
        {"JWK JSON", jwk.dump()},
        {"JWK JSON with kid", kid_jwk(rsa, "rsa-1").dump()},
        {"raw n", n},
        {"base64url n", jwk["n"].get<std::string>()},
    };
    const KeySet remote = parse_set({kid_jwk(rsa, "rsa-1")}, KeySource::Remote);
    const KeySet remote_no_kid = parse_set({jwk}, KeySource::Remote);
    const KeySet local = parse_set({kid_jwk(rsa, "rsa-1")}, KeySource::Local);
    const KeySet pem = pem_set(rsa);
    const JwsVerifier all(all_algorithm_bits(), {});
    const JwsVerifier hs_and_rs(bit_of(Algorithm::HS256) | bit_of(Algorithm::RS256), {});

    for (const auto &[what, secret] : secrets) {
        for (const std::string &kid : {std::string(), std::string("rsa-1")}) {
            const std::string tok = token(header(Algorithm::HS256, kid), Algorithm::HS256, nullptr, secret);
            for (const KeySet *set : {&remote, &remote_no_kid, &local, &pem}) {
                for (const JwsVerifier *verifier : {&all, &hs_and_rs}) {
                    const Status s = verify(*verifier, tok, {set});
                    EXPECT_NE(s, Status::Ok) << what << " kid '" << kid << "'";
                    // Not UnknownKey either: the key is there (by kid, or kid-less), its type refuses.
                    EXPECT_TRUE(refused_as_confusion(s)) << what << " kid '" << kid << "': " << to_string(s);
                }
            }
        }
    }
    // Control: the same sets verify a real RS256 token.
    EXPECT_EQ(verify(all, token(header(Algorithm::RS256, "rsa-1"), Algorithm::RS256, rsa), {&remote}), Status::Ok);
    EXPECT_EQ(verify(all, token(header(Algorithm::RS256, "rsa-1"), Algorithm::RS256, rsa), {&local}), Status::Ok);
    EXPECT_EQ(verify(all, token(header(Algorithm::RS256), Algorithm::RS256, rsa), {&pem}), Status::Ok);
}

TEST(KeyConfusion, Hs256SignedWithTheEcPublicKeyIsRefused) {
    EVP_PKEY *ec = cached_key("P-256");
    const Json jwk = public_jwk(ec);
    const std::string point =
        std::string(1, '\x04') + unb64u(jwk["x"].get<std::string>()) + unb64u(jwk["y"].get<std::string>());
    const KeySet remote = parse_set({kid_jwk(ec, "ec")});
    const KeySet pem = pem_set(ec);
    const JwsVerifier all(all_algorithm_bits(), {});
    for (const std::string &secret : {point, public_pem(ec), public_der(ec), jwk.dump(), unb64u(jwk["x"].get<std::string>())}) {
        for (const KeySet *set : {&remote, &pem}) {
            const Status s = verify(all, token(header(Algorithm::HS256, "ec"), Algorithm::HS256, nullptr, secret), {set});
            EXPECT_TRUE(refused_as_confusion(s)) << to_string(s);
            EXPECT_TRUE(refused_as_confusion(verify(all, token(header(Algorithm::HS256), Algorithm::HS256, nullptr, secret), {set})));
        }
    }
}

// ---- K4: the key's alg, and mixed sets ------------------------------------------

TEST(KeyConfusion, TokenAlgOtherThanTheKeysAlgIsRefused) {
    EVP_PKEY *rsa = cached_key("RSA-2048");
    Json jwk = kid_jwk(rsa, "k");
    jwk["alg"] = "RS256";
    const KeySet set = parse_set({jwk});
    const JwsVerifier all(all_algorithm_bits(), {});
    EXPECT_EQ(verify(all, token(header(Algorithm::RS256, "k"), Algorithm::RS256, rsa), {&set}), Status::Ok);
    for (Algorithm other : {Algorithm::PS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS512}) {
        // Correctly signed with the very key, under an algorithm the key does not name.
        EXPECT_EQ(verify(all, token(header(other, "k"), other, rsa), {&set}), Status::AlgorithmNotAllowed)
            << algorithm_name(other);
        EXPECT_EQ(verify(all, token(header(other), other, rsa), {&set}), Status::AlgorithmNotAllowed)
            << algorithm_name(other);
    }
}

TEST(KeyConfusion, Hs256AgainstAnAlglessRsaKeyAndAnOctKeyVerifiesOnlyWithTheOctKey) {
    EVP_PKEY *rsa = cached_key("RSA-2048");
    const Json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", b64u(kOctSecret)}};
    const KeySet set = parse_set({kid_jwk(rsa, "rsa"), oct}, KeySource::Local);
    ASSERT_EQ(set.size(), 2u);
    const JwsVerifier verifier(all_algorithm_bits(), {});

    // The oct key verifies, with its kid or with none.
    EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256, "hmac"), Algorithm::HS256, nullptr, kOctSecret), {&set}),
              Status::Ok);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256), Algorithm::HS256, nullptr, kOctSecret), {&set}), Status::Ok);
    // The RSA key's kid selects the RSA key, which takes no HS256, even with the right secret.
    EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256, "rsa"), Algorithm::HS256, nullptr, kOctSecret), {&set}),
              Status::AlgorithmNotAllowed);
    // The RSA public key as an HMAC secret, every way the set could be asked.
    for (const std::string &secret : {public_pem(rsa), public_der(rsa), public_jwk(rsa).dump(),
                                      unb64u(public_jwk(rsa)["n"].get<std::string>())}) {
        EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256, "rsa"), Algorithm::HS256, nullptr, secret), {&set}),
                  Status::AlgorithmNotAllowed);
        EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256), Algorithm::HS256, nullptr, secret), {&set}),
                  Status::BadSignature);   // tried with the oct key only, which refuses
        EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256, "hmac"), Algorithm::HS256, nullptr, secret), {&set}),
                  Status::BadSignature);
    }
    // The same set from a remote source has no oct key at all.
    const KeySet remote = parse_set({kid_jwk(rsa, "rsa"), oct}, KeySource::Remote);
    EXPECT_EQ(remote.size(), 1u);
    EXPECT_NE(verify(verifier, token(header(Algorithm::HS256), Algorithm::HS256, nullptr, kOctSecret), {&remote}),
              Status::Ok);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::HS256, "hmac"), Algorithm::HS256, nullptr, kOctSecret), {&remote}),
              Status::UnknownKey);
}

// ---- kid handling -----------------------------------------------------------------

TEST(KidSelection, UnknownKidIsUnknownKeyAndBadSignatureIsKeptApart) {
    EVP_PKEY *ec = cached_key("P-256");
    const KeySet set = parse_set({kid_jwk(ec, "a")});
    const JwsVerifier verifier(bit_of(Algorithm::ES256), {});
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "a"), Algorithm::ES256, ec), {&set}), Status::Ok);
    // Signed with the set's key, but naming a kid the set lacks.
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "b"), Algorithm::ES256, ec), {&set}), Status::UnknownKey);
    for (const char *kid : {"A", "a ", "../../dev/null", "' OR 1=1--"})
        EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, kid), Algorithm::ES256, ec), {&set}), Status::UnknownKey)
            << kid;
    // The known kid with another key's signature: a bad signature, not an unknown key.
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "a"), Algorithm::ES256, cached_key("P-256-other")), {&set}),
              Status::BadSignature);
    // No set at all, or empty sets: the kid is unknown.
    const KeySet empty = parse_set({});
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "a"), Algorithm::ES256, ec), {&empty}), Status::UnknownKey);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "a"), Algorithm::ES256, ec), {}), Status::UnknownKey);
    // A non-string or oversized kid is a malformed token (H6).
    EXPECT_EQ(verify(verifier, token(R"({"alg":"ES256","kid":123})", Algorithm::ES256, ec), {&set}), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, token(R"({"alg":"ES256","kid":{}})", Algorithm::ES256, ec), {&set}), Status::TokenMalformed);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, std::string(10240, 'k')), Algorithm::ES256, ec), {&set}),
              Status::TokenMalformed);
}

TEST(KidSelection, KeysWithoutKidServeTokensWithAnyOrNoKid) {
    EVP_PKEY *ec = cached_key("P-256");
    EVP_PKEY *other = cached_key("P-256-other");
    // Several keys of one type, none with a kid (K8): each token finds its key.
    const KeySet set = parse_set({public_jwk(other), public_jwk(ec)});
    const JwsVerifier verifier(bit_of(Algorithm::ES256), {});
    for (EVP_PKEY *key : {ec, other}) {
        EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256), Algorithm::ES256, key), {&set}), Status::Ok);
        EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "any-kid"), Algorithm::ES256, key), {&set}), Status::Ok);
    }
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256), Algorithm::ES256, cached_key("P-256-third")), {&set}),
              Status::BadSignature);
}

TEST(KidSelection, DuplicateKidInOneSetVerifiesNothing) {
    EVP_PKEY *a = cached_key("P-256");
    EVP_PKEY *b = cached_key("P-256-other");
    const KeySet set = parse_set({kid_jwk(a, "dup"), kid_jwk(b, "dup"), kid_jwk(cached_key("P-256-third"), "fine")});
    const JwsVerifier verifier(bit_of(Algorithm::ES256), {});
    for (EVP_PKEY *key : {a, b}) {
        const Status s = verify(verifier, token(header(Algorithm::ES256, "dup"), Algorithm::ES256, key), {&set});
        EXPECT_NE(s, Status::Ok);
        EXPECT_NE(s, Status::UnknownKey);   // a refetch would not cure an ambiguous set
    }
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "fine"), Algorithm::ES256, cached_key("P-256-third")), {&set}),
              Status::Ok);
}

TEST(KidSelection, SameKidInTwoSetsStaysWithItsSet) {
    // J9: two issuers publish kid "k"; set A's token where only set B is configured.
    EVP_PKEY *a = cached_key("P-256");
    EVP_PKEY *b = cached_key("P-256-other");
    const KeySet set_a = parse_set({kid_jwk(a, "k")});
    const KeySet set_b = parse_set({kid_jwk(b, "k")});
    const JwsVerifier verifier(bit_of(Algorithm::ES256), {});
    const std::string token_a = token(header(Algorithm::ES256, "k"), Algorithm::ES256, a);
    const std::string token_b = token(header(Algorithm::ES256, "k"), Algorithm::ES256, b);
    EXPECT_EQ(verify(verifier, token_a, {&set_b}), Status::BadSignature);
    EXPECT_EQ(verify(verifier, token_b, {&set_a}), Status::BadSignature);
    EXPECT_EQ(verify(verifier, token_a, {&set_a}), Status::Ok);
    EXPECT_EQ(verify(verifier, token_b, {&set_b}), Status::Ok);
    // Both sets configured for one location: each token finds its own key,
    // and the shared kid is not ambiguous across sets.
    EXPECT_EQ(verify(verifier, token_a, {&set_a, &set_b}), Status::Ok);
    EXPECT_EQ(verify(verifier, token_b, {&set_b, &set_a}), Status::Ok);
    // A kid only one of two sets has is known.
    const KeySet set_c = parse_set({kid_jwk(cached_key("P-256-third"), "c")});
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "c"), Algorithm::ES256, cached_key("P-256-third")),
                     {&set_a, &set_c}),
              Status::Ok);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES256, "z"), Algorithm::ES256, a), {&set_a, &set_c}),
              Status::UnknownKey);
}

// ---- static keys beside a key server -----------------------------------------------------

Status verify_with(const JwsVerifier &verifier, const std::string &tok, const std::vector<const KeySet *> &sets,
                   mastra_auth::KeySupply supply) {
    Identity identity;
    Status status = verifier.verify(tok, kNow, sets, identity,
                                    mastra_auth::Signature::Check, supply);
    if (status != Status::Ok) {
        EXPECT_FALSE(identity.has_claims());
    }
    return status;
}

TEST(KeySupply, AKidlessStaticKeyNeverSettlesAKidOnlyAKeyServerMayHold) {
    using mastra_auth::KeySupply;
    EVP_PKEY *pem_key = cached_key("RSA-2048");
    EVP_PKEY *rotated = cached_key("P-256");
    const KeySet file = pem_set(pem_key);                                  // no kid
    const KeySet secret = parse_set({{{"kty", "oct"}, {"k", b64u(kOctSecret)}}}, KeySource::Local);
    const KeySet remote = parse_set({kid_jwk(cached_key("P-256-other"), "old")});
    const JwsVerifier verifier(bit_of(Algorithm::ES256) | bit_of(Algorithm::RS256) | bit_of(Algorithm::HS256), {});
    const std::string new_kid = token(header(Algorithm::ES256, "new"), Algorithm::ES256, rotated);
    const std::string new_kid_rs = token(header(Algorithm::RS256, "new"), Algorithm::RS256, cached_key("RSA-2048-other"));

    // Configured keys only: as ever, the kid-less key takes the kid and settles it.
    EXPECT_EQ(verify_with(verifier, new_kid, {&file, &secret}, KeySupply::Fixed), Status::AlgorithmNotAllowed);
    EXPECT_EQ(verify_with(verifier, new_kid_rs, {&file}, KeySupply::Fixed), Status::BadSignature);

    // Beside a fetched set, a kid no key carries is unknown (a refetch may bring it) ...
    EXPECT_EQ(verify_with(verifier, new_kid, {&file, &secret, &remote}, KeySupply::Fetched), Status::UnknownKey);
    EXPECT_EQ(verify_with(verifier, new_kid_rs, {&file, &remote}, KeySupply::Fetched), Status::UnknownKey);
    // ... and once the refetch brought it, it verifies.
    const KeySet refetched = parse_set({kid_jwk(cached_key("P-256-other"), "old"), kid_jwk(rotated, "new")});
    EXPECT_EQ(verify_with(verifier, new_kid, {&file, &secret, &refetched}, KeySupply::Fetched), Status::Ok);
    // The kid-less static keys still verify their own tokens, whatever kid they name.
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::RS256, "any"), Algorithm::RS256, pem_key), {&file, &remote},
                          KeySupply::Fetched),
              Status::Ok);
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::HS256, "any"), Algorithm::HS256, nullptr, kOctSecret),
                          {&secret, &remote}, KeySupply::Fetched),
              Status::Ok);

    // A kid the set carries is settled: wrong signature, wrong algorithm.
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::ES256, "old"), Algorithm::ES256, rotated),
                          {&file, &remote}, KeySupply::Fetched),
              Status::BadSignature);
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::RS256, "old"), Algorithm::RS256, pem_key), {&remote},
                          KeySupply::Fetched),
              Status::AlgorithmNotAllowed);
    // No kid, set fetched: the held keys settle it, no refetch.
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::ES256), Algorithm::ES256, rotated), {&file, &remote},
                          KeySupply::Fetched),
              Status::BadSignature);
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::ES256), Algorithm::ES256, rotated), {&file},
                          KeySupply::Fetched),
              Status::AlgorithmNotAllowed);
}

TEST(KeySupply, WhileASetIsPendingOnlyHmacTokensAreSettled) {
    using mastra_auth::KeySupply;
    EVP_PKEY *pem_key = cached_key("RSA-2048");
    const KeySet file = pem_set(pem_key);
    const KeySet secret = parse_set({{{"kty", "oct"}, {"k", b64u(kOctSecret)}}}, KeySource::Local);
    const JwsVerifier verifier(bit_of(Algorithm::ES256) | bit_of(Algorithm::RS256) | bit_of(Algorithm::HS256), {});
    // The pending set may serve any asymmetric token, with a kid or without.
    for (const std::string &kid : {std::string(), std::string("k1")}) {
        EXPECT_EQ(verify_with(verifier, token(header(Algorithm::ES256, kid), Algorithm::ES256, cached_key("P-256")),
                              {&file, &secret}, KeySupply::Pending),
                  Status::UnknownKey)
            << kid;
        EXPECT_EQ(verify_with(verifier,
                              token(header(Algorithm::RS256, kid), Algorithm::RS256, cached_key("RSA-2048-other")),
                              {&file, &secret}, KeySupply::Pending),
                  Status::UnknownKey)
            << kid;
        // What the static keys verify passes at once.
        EXPECT_EQ(verify_with(verifier, token(header(Algorithm::RS256, kid), Algorithm::RS256, pem_key), {&file, &secret},
                              KeySupply::Pending),
                  Status::Ok)
            << kid;
        // Key servers never serve HMAC keys: an HS* token is settled now.
        EXPECT_EQ(verify_with(verifier, token(header(Algorithm::HS256, kid), Algorithm::HS256, nullptr, kOctSecret),
                              {&file, &secret}, KeySupply::Pending),
                  Status::Ok)
            << kid;
        EXPECT_EQ(verify_with(verifier, token(header(Algorithm::HS256, kid), Algorithm::HS256, nullptr, std::string(32, 'x')),
                              {&file, &secret}, KeySupply::Pending),
                  Status::BadSignature)
            << kid;
    }
    // The location's algorithm list is still the first word.
    EXPECT_EQ(verify_with(verifier, token(header(Algorithm::ES384, "k1"), Algorithm::ES384, cached_key("P-384")),
                          {&file}, KeySupply::Pending),
              Status::AlgorithmNotAllowed);
}

// ---- RFC 9864 --------------------------------------------------------------------------

TEST(EdDsaNames, Ed25519AndEdDsaBothVerifyWithAnEd25519Key) {
    EVP_PKEY *ed = cached_key("ED25519");
    const JwsVerifier verifier(bit_of(Algorithm::EdDSA), {});
    Json with_eddsa = kid_jwk(ed, "ed");
    with_eddsa["alg"] = "EdDSA";
    Json with_ed25519 = kid_jwk(ed, "ed");
    with_ed25519["alg"] = "Ed25519";
    const KeySet sets[] = {parse_set({kid_jwk(ed, "ed")}), parse_set({with_eddsa}), parse_set({with_ed25519}), pem_set(ed)};
    for (const KeySet &set : sets) {
        for (const char *name : {"Ed25519", "EdDSA"}) {
            Identity identity;
            const std::string h = std::string(R"({"alg":")") + name + R"(","kid":"ed"})";
            EXPECT_EQ(verify(verifier, token(h, Algorithm::EdDSA, ed), {&set}, &identity), Status::Ok) << name;
            EXPECT_EQ(identity.alg, name);
            EXPECT_EQ(identity.user, "user-1");
        }
        // Ed448 and other spellings are not algorithms here.
        for (const char *name : {"Ed448", "ed25519", "EDDSA", "Ed25519 "}) {
            const std::string h = std::string(R"({"alg":")") + name + R"("})";
            EXPECT_EQ(verify(verifier, token(h, Algorithm::EdDSA, ed), {&set}), Status::AlgorithmNotAllowed) << name;
        }
    }
}

// ---- H5: keys carried by the token are never used ------------------------------------

TEST(EmbeddedKeys, JwkJkuX5cAndX5uHeadersAreIgnored) {
    EVP_PKEY *legit = cached_key("RSA-2048");
    EVP_PKEY *attacker = cached_key("RSA-2048-attacker");
    const Json attacker_jwk = kid_jwk(attacker, "legit");
    const std::string attacker_der = public_der(attacker);
    const KeySet set = parse_set({kid_jwk(legit, "legit")});
    const KeySet empty = parse_set({});
    const JwsVerifier verifier(all_algorithm_bits(), {});
    const std::vector<Json> carriers = {
        Json{{"jwk", public_jwk(attacker)}},
        Json{{"jku", "https://attacker.example/jwks.json"}},
        Json{{"x5u", "https://attacker.example/cert.pem"}},
        Json{{"x5c", Json::array({b64u(attacker_der)})}},
        Json{{"jwk", public_jwk(attacker)}, {"jku", "file:///etc/passwd"}, {"x5c", Json::array({b64u(attacker_der)})}},
    };
    for (const Json &extra : carriers) {
        for (const std::string &kid : {std::string(), std::string("legit")}) {
            const std::string tok = token(header(Algorithm::RS256, kid, extra), Algorithm::RS256, attacker);
            EXPECT_EQ(verify(verifier, tok, {&set}), Status::BadSignature) << extra.dump();
            EXPECT_NE(verify(verifier, tok, {&empty}), Status::Ok) << extra.dump();
            EXPECT_NE(verify(verifier, tok, {}), Status::Ok) << extra.dump();
        }
        // HS256 with the embedded key's bytes as the secret.
        const std::string hs = token(header(Algorithm::HS256, "", extra), Algorithm::HS256, nullptr, attacker_jwk.dump());
        EXPECT_NE(verify(verifier, hs, {&set}), Status::Ok);
        // The legitimate signer may carry such headers: they change nothing.
        EXPECT_EQ(verify(verifier, token(header(Algorithm::RS256, "legit", extra), Algorithm::RS256, legit), {&set}),
                  Status::Ok);
    }
}

// ---- the location's allow-list ----------------------------------------------------------

TEST(AllowList, LocationExcludesAnAlgorithmTheKeyAllows) {
    EVP_PKEY *rsa = cached_key("RSA-2048");
    const KeySet set = parse_set({kid_jwk(rsa, "r")});   // no alg: RS* and PS* fit
    const JwsVerifier rs256_only(bit_of(Algorithm::RS256), {});
    EXPECT_EQ(verify(rs256_only, token(header(Algorithm::RS256, "r"), Algorithm::RS256, rsa), {&set}), Status::Ok);
    for (Algorithm other : {Algorithm::PS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS384, Algorithm::PS512}) {
        EXPECT_EQ(verify(rs256_only, token(header(other, "r"), other, rsa), {&set}), Status::AlgorithmNotAllowed)
            << algorithm_name(other);
        // Checked before the key is even looked for: an unknown kid changes nothing.
        EXPECT_EQ(verify(rs256_only, token(header(other, "zz"), other, rsa), {&set}), Status::AlgorithmNotAllowed);
    }
    // A key pinned to ES256 where only EdDSA is allowed.
    Json es = kid_jwk(cached_key("P-256"), "e");
    es["alg"] = "ES256";
    const KeySet es_set = parse_set({es});
    const JwsVerifier eddsa_only(bit_of(Algorithm::EdDSA), {});
    EXPECT_EQ(verify(eddsa_only, token(header(Algorithm::ES256, "e"), Algorithm::ES256, cached_key("P-256")), {&es_set}),
              Status::AlgorithmNotAllowed);
    // alg none never passes, whatever is allowed.
    const std::string input = b64u(R"({"alg":"none"})") + "." + b64u(kPayload);
    EXPECT_EQ(verify(JwsVerifier(all_algorithm_bits(), {}), input + "." + b64u("x"), {&set}), Status::AlgorithmNotAllowed);
}

TEST(Verification, ChangedPayloadAndClaimsAfterSignature) {
    EVP_PKEY *ec = cached_key("P-384");
    const KeySet set = parse_set({kid_jwk(ec, "k")});
    const JwsVerifier verifier(bit_of(Algorithm::ES384), {});
    const std::string good = token(header(Algorithm::ES384, "k"), Algorithm::ES384, ec);
    Identity identity;
    ASSERT_EQ(verify(verifier, good, {&set}, &identity), Status::Ok);
    EXPECT_EQ(identity.user, "user-1");
    EXPECT_EQ(identity.kid, "k");
    // Another payload under the same signature (S6).
    const std::size_t dot1 = good.find('.'), dot2 = good.rfind('.');
    const std::string swapped = good.substr(0, dot1 + 1) + b64u(R"({"sub":"admin","exp":1700003600})") + good.substr(dot2);
    EXPECT_EQ(verify(verifier, swapped, {&set}), Status::BadSignature);
    // Expired but validly signed: the claims speak after the signature.
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES384, "k"), Algorithm::ES384, ec, {}, R"({"exp":1600000000})"), {&set}),
              Status::TokenExpired);
    EXPECT_EQ(verify(verifier, token(header(Algorithm::ES384, "k"), Algorithm::ES384, cached_key("P-384-other"), {},
                                     R"({"exp":1600000000})"),
                     {&set}),
              Status::BadSignature);
}
