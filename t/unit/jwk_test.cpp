// JWK, JWK Set and PEM parsing (RFC 7517, RFC 7518 section 6, RFC 8037):
// keys generated with OpenSSL here, their members exported by hand, and every
// catalogue rule on keys (K5-K7, "Keys" in section 1) checked one at a time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "key_helpers.h"
#include "mastra_auth/jwk.h"

using mastra_auth::Algorithm;
using mastra_auth::bit_of;
using mastra_auth::KeyFamily;
using mastra_auth::KeySet;
using mastra_auth::KeySource;
using mastra_auth::PublicKey;
using namespace mastra_auth::test;

namespace {

const unsigned kRsaBits = bit_of(Algorithm::RS256) | bit_of(Algorithm::RS384) | bit_of(Algorithm::RS512) |
                          bit_of(Algorithm::PS256) | bit_of(Algorithm::PS384) | bit_of(Algorithm::PS512);

struct Parsed {
    bool ok = false;
    PublicKey key;
    std::string reason;
};

Parsed parse(const Json &jwk, KeySource source = KeySource::Remote) {
    Parsed p;
    p.ok = mastra_auth::parse_jwk(jwk, source, p.key, p.reason);
    // A refusal always says why (it becomes a log line).
    if (!p.ok) {
        EXPECT_FALSE(p.reason.empty()) << jwk.dump();
    }
    return p;
}

bool accepted(const Json &jwk, KeySource source = KeySource::Remote) { return parse(jwk, source).ok; }

Json rsa_jwk() { return public_jwk(cached_key("RSA-2048")); }

Json with(Json jwk, const std::string &member, const Json &value) {
    jwk[member] = value;
    return jwk;
}

Json without(Json jwk, const std::string &member) {
    jwk.erase(member);
    return jwk;
}

Json oct_jwk(std::size_t bytes) {
    return Json{{"kty", "oct"}, {"k", b64u(std::string(bytes, '\x5a'))}};
}

std::string pem_of_fake_rsa(int bits) { return public_pem(rsa_from_n(fake_modulus(bits)).get()); }

Parsed parse_pem(const std::string &pem) {
    Parsed p;
    p.ok = mastra_auth::parse_pem_public_key(pem, p.key, p.reason);
    if (!p.ok) {
        EXPECT_FALSE(p.reason.empty());
    }
    return p;
}

struct SetResult {
    bool ok = false;
    KeySet set;
    std::string error;
};

SetResult parse_set(const std::string &text, KeySource source = KeySource::Remote) {
    SetResult r;
    r.ok = KeySet::parse(text, source, r.set, r.error);
    if (!r.ok) {
        EXPECT_FALSE(r.error.empty()) << text.substr(0, 200);
    }
    return r;
}

std::string set_text(const std::vector<Json> &keys) { return Json{{"keys", keys}}.dump(); }

// A second RSA key without a second keygen: a stand-in 2048-bit modulus.
Json fake_rsa_jwk() { return Json{{"kty", "RSA"}, {"n", b64u(fake_modulus(2048))}, {"e", "AQAB"}}; }

Json with_kid(Json jwk, const std::string &kid) { return with(std::move(jwk), "kid", kid); }

}  // namespace

// ---- RSA ------------------------------------------------------------------

TEST(JwkRsa, GeneratedKeyIsAcceptedForRsAndPsOnly) {
    Parsed p = parse(rsa_jwk());
    ASSERT_TRUE(p.ok) << p.reason;
    EXPECT_EQ(p.key.family, KeyFamily::Rsa);
    EXPECT_EQ(p.key.allowed, kRsaBits);
    EXPECT_FALSE(p.key.alg.has_value());
    EXPECT_TRUE(p.key.kid.empty());
    EXPECT_TRUE(p.key.secret.empty());
    ASSERT_TRUE(p.key.pkey);
    EXPECT_EQ(EVP_PKEY_get_bits(p.key.pkey.get()), 2048);
    // The key OpenSSL built is the key that was exported.
    EXPECT_EQ(EVP_PKEY_eq(p.key.pkey.get(), cached_key("RSA-2048")), 1);
    for (Algorithm a : {Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA}) EXPECT_FALSE(p.key.fits(a));
}

TEST(JwkRsa, ModulusSizeIsBoundedTo2048Through8192Bits) {
    EXPECT_FALSE(accepted(public_jwk(cached_key("RSA-1024"))));
    Parsed small = parse(public_jwk(cached_key("RSA-1024")));
    EXPECT_NE(small.reason.find("1024"), std::string::npos) << small.reason;

    // Boundaries with stand-in moduli (the parser checks size, not primality).
    const Json e = "AQAB";
    auto fake = [&](int bits) { return Json{{"kty", "RSA"}, {"n", b64u(fake_modulus(bits))}, {"e", e}}; };
    EXPECT_FALSE(accepted(fake(2047)));
    EXPECT_TRUE(accepted(fake(2048)));
    EXPECT_TRUE(accepted(fake(3072)));
    EXPECT_TRUE(accepted(fake(8192)));
    EXPECT_FALSE(accepted(fake(8193)));
    EXPECT_FALSE(accepted(fake(16384)));
}

TEST(JwkRsa, ExponentMustBeOddAndGreaterThanOne) {
    const Json jwk = rsa_jwk();
    EXPECT_TRUE(accepted(jwk));
    EXPECT_FALSE(accepted(with(jwk, "e", "AQ")));        // e = 1
    EXPECT_FALSE(accepted(with(jwk, "e", "AA")));        // e = 0 (and not minimal)
    EXPECT_FALSE(accepted(with(jwk, "e", "Ag")));        // e = 2
    EXPECT_FALSE(accepted(with(jwk, "e", "AQAA")));      // e = 65536
    EXPECT_FALSE(accepted(with(jwk, "e", "AQAC")));      // e = 65538
    EXPECT_FALSE(accepted(with(jwk, "e", "AAEAAQ")));    // 65537 with a leading zero byte
    EXPECT_FALSE(accepted(with(jwk, "e", b64u(std::string(9, '\x01')))));   // longer than 8 bytes
    EXPECT_FALSE(accepted(with(jwk, "e", "")));
    EXPECT_FALSE(accepted(with(jwk, "e", 65537)));
    EXPECT_FALSE(accepted(without(jwk, "e")));
}

TEST(JwkRsa, ModulusMustBeMinimalAndWellFormed) {
    const Json jwk = rsa_jwk();
    const std::string n = unb64u(jwk["n"].get<std::string>());
    EXPECT_FALSE(accepted(with(jwk, "n", b64u(std::string(1, '\0') + n))));   // leading zero
    EXPECT_FALSE(accepted(with(jwk, "n", "")));
    EXPECT_FALSE(accepted(with(jwk, "n", jwk["n"].get<std::string>() + "=")));   // padding
    std::string std_alphabet = jwk["n"].get<std::string>();
    for (char &c : std_alphabet) c = c == '-' ? '+' : c == '_' ? '/' : c;
    if (std_alphabet != jwk["n"].get<std::string>()) {
        EXPECT_FALSE(accepted(with(jwk, "n", std_alphabet)));
    }
    EXPECT_FALSE(accepted(with(jwk, "n", " " + jwk["n"].get<std::string>())));
    EXPECT_FALSE(accepted(with(jwk, "n", Json::array())));
    EXPECT_FALSE(accepted(without(jwk, "n")));
}

// A modulus with the ROCA fingerprint (CVE-2017-15361), built directly:
// n = 65537^k mod M (+ a multiple of M), M the product of the detector's
// primes 3..167, so n mod p lies in <65537> for each of them.
std::string roca_like_modulus() {
    BnPtr m(BN_new()), g(BN_new()), k(BN_new()), r(BN_new()), t(BN_new()), n(BN_new());
    std::unique_ptr<BN_CTX, void (*)(BN_CTX *)> ctx(BN_CTX_new(), BN_CTX_free);
    BN_one(m.get());
    for (unsigned p : {3u,   5u,   7u,   11u,  13u,  17u,  19u,  23u,  29u,  31u,  37u,  41u,  43u,
                       47u,  53u,  59u,  61u,  67u,  71u,  73u,  79u,  83u,  89u,  97u,  101u, 103u,
                       107u, 109u, 113u, 127u, 131u, 137u, 139u, 149u, 151u, 157u, 163u, 167u})
        BN_mul_word(m.get(), p);
    BN_set_word(g.get(), 65537);
    BN_rand(k.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
    BN_mod_exp(r.get(), g.get(), k.get(), m.get(), ctx.get());
    BN_rand(t.get(), 2100 - BN_num_bits(m.get()), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
    BN_mul(n.get(), t.get(), m.get(), ctx.get());
    BN_add(n.get(), n.get(), r.get());
    if (!BN_is_odd(n.get())) BN_add(n.get(), n.get(), m.get());   // M is odd: residues kept
    std::string out(static_cast<std::size_t>(BN_num_bytes(n.get())), '\0');
    BN_bn2bin(n.get(), reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

TEST(JwkRsa, RocaFingerprintedModulusIsRefused) {
    for (int i = 0; i < 5; i++) {
        const std::string n = roca_like_modulus();
        Parsed p = parse(Json{{"kty", "RSA"}, {"n", b64u(n)}, {"e", "AQAB"}});
        EXPECT_FALSE(p.ok);
        EXPECT_NE(p.reason.find("ROCA"), std::string::npos) << p.reason;
        EXPECT_FALSE(parse_pem(public_pem(rsa_from_n(n).get())).ok);
        // The same size without the fingerprint (n + 2M changes no residue,
        // n + 2 changes them all) is accepted.
        std::string other = n;
        other.back() = static_cast<char>(static_cast<unsigned char>(other.back()) + 2);
        if (static_cast<unsigned char>(other.back()) >= 2) {
            EXPECT_TRUE(accepted(Json{{"kty", "RSA"}, {"n", b64u(other)}, {"e", "AQAB"}}));
        }
    }
}

// ---- EC ---------------------------------------------------------------------

struct CurveCase {
    const char *kind;
    const char *crv;
    std::size_t size;
    Algorithm alg;
};

const CurveCase kCurveCases[] = {
    {"P-256", "P-256", 32, Algorithm::ES256},
    {"P-384", "P-384", 48, Algorithm::ES384},
    {"P-521", "P-521", 66, Algorithm::ES512},
};

TEST(JwkEc, GeneratedKeysAreAcceptedForTheirOneAlgorithm) {
    for (const CurveCase &c : kCurveCases) {
        const Json jwk = public_jwk(cached_key(c.kind));
        ASSERT_EQ(jwk["crv"], c.crv);
        ASSERT_EQ(unb64u(jwk["x"].get<std::string>()).size(), c.size);
        Parsed p = parse(jwk);
        ASSERT_TRUE(p.ok) << c.crv << ": " << p.reason;
        EXPECT_EQ(p.key.family, KeyFamily::Ec);
        EXPECT_EQ(p.key.allowed, bit_of(c.alg)) << c.crv;
        EXPECT_EQ(EVP_PKEY_eq(p.key.pkey.get(), cached_key(c.kind)), 1) << c.crv;
    }
}

TEST(JwkEc, CoordinatesMustHaveExactlyTheCurveLength) {
    for (const CurveCase &c : kCurveCases) {
        const Json jwk = public_jwk(cached_key(c.kind));
        for (const char *member : {"x", "y"}) {
            const std::string v = unb64u(jwk[member].get<std::string>());
            EXPECT_FALSE(accepted(with(jwk, member, b64u(std::string(1, '\0') + v)))) << c.crv << member;
            EXPECT_FALSE(accepted(with(jwk, member, b64u(v.substr(1))))) << c.crv << member;
            EXPECT_FALSE(accepted(with(jwk, member, b64u(v + v)))) << c.crv << member;
            EXPECT_FALSE(accepted(with(jwk, member, ""))) << c.crv << member;
            EXPECT_FALSE(accepted(without(jwk, member))) << c.crv << member;
            EXPECT_FALSE(accepted(with(jwk, member, 1))) << c.crv << member;
        }
    }
    // P-521 with coordinates stripped of their leading zero bits to 65 bytes
    // (a common encoder bug; RFC 7518 6.2.1.2 asks for the full 66).
    const Json p521 = public_jwk(cached_key("P-521"));
    const std::string x = unb64u(p521["x"].get<std::string>());
    ASSERT_EQ(x[0] & 0xfe, 0);
    if (x[0] == 0) {
        EXPECT_FALSE(accepted(with(p521, "x", b64u(x.substr(1)))));
    }
}

TEST(JwkEc, PointOffTheCurveIsRefused) {
    for (const CurveCase &c : kCurveCases) {
        const Json jwk = public_jwk(cached_key(c.kind));
        std::string y = unb64u(jwk["y"].get<std::string>());
        y.back() = static_cast<char>(y.back() ^ 1);
        Parsed p = parse(with(jwk, "y", b64u(y)));
        EXPECT_FALSE(p.ok) << c.crv;
        EXPECT_FALSE(p.key.pkey) << c.crv;
        // The all-zero point (on none of these curves).
        EXPECT_FALSE(accepted(with(with(jwk, "x", b64u(std::string(c.size, '\0'))), "y",
                                   b64u(std::string(c.size, '\0')))))
            << c.crv;
    }
    // Wycheproof json_web_key_test "invalid_point": y with one character changed.
    EXPECT_FALSE(accepted(Json{{"kty", "EC"},
                               {"crv", "P-256"},
                               {"x", "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY"},
                               {"y", "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw"}}));
    EXPECT_TRUE(accepted(Json{{"kty", "EC"},
                              {"crv", "P-256"},
                              {"x", "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY"},
                              {"y", "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw"}}));
}

TEST(JwkEc, UnknownOrMismatchedCurveIsRefused) {
    const Json p256 = public_jwk(cached_key("P-256"));
    for (const char *crv : {"p-256", "P256", "secp256r1", "prime256v1", "P-256K", "secp256k1", "P-224", ""})
        EXPECT_FALSE(accepted(with(p256, "crv", crv))) << crv;
    EXPECT_FALSE(accepted(with(p256, "crv", 256)));
    EXPECT_FALSE(accepted(without(p256, "crv")));
    // Right lengths for P-384 but labelled P-256, and the other way round.
    EXPECT_FALSE(accepted(with(public_jwk(cached_key("P-384")), "crv", "P-256")));
    EXPECT_FALSE(accepted(with(p256, "crv", "P-384")));
    // A real secp256k1 key (ES256K is not supported).
    Json k1 = public_jwk(cached_key("secp256k1"));
    k1["crv"] = "secp256k1";
    EXPECT_FALSE(accepted(k1));
    k1["crv"] = "P-256";   // same lengths as P-256, but the point is not on P-256
    EXPECT_FALSE(accepted(k1));
}

// ---- OKP --------------------------------------------------------------------

TEST(JwkOkp, Ed25519IsAcceptedForEdDsaOnly) {
    const Json jwk = public_jwk(cached_key("ED25519"));
    Parsed p = parse(jwk);
    ASSERT_TRUE(p.ok) << p.reason;
    EXPECT_EQ(p.key.family, KeyFamily::Okp);
    EXPECT_EQ(p.key.allowed, bit_of(Algorithm::EdDSA));
    EXPECT_EQ(EVP_PKEY_eq(p.key.pkey.get(), cached_key("ED25519")), 1);
    // RFC 8037 A.2's public key.
    EXPECT_TRUE(accepted(Json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}));
}

TEST(JwkOkp, XMustBe32Bytes) {
    const Json jwk = public_jwk(cached_key("ED25519"));
    const std::string x = unb64u(jwk["x"].get<std::string>());
    EXPECT_FALSE(accepted(with(jwk, "x", b64u(x.substr(1)))));
    EXPECT_FALSE(accepted(with(jwk, "x", b64u(x + std::string(1, '\0')))));
    EXPECT_FALSE(accepted(with(jwk, "x", "")));
    EXPECT_FALSE(accepted(without(jwk, "x")));
}

TEST(JwkOkp, OtherCurvesAreRefused) {
    EXPECT_FALSE(accepted(public_jwk(cached_key("ED448"))));
    EXPECT_FALSE(accepted(public_jwk(cached_key("X25519"))));
    EXPECT_FALSE(accepted(public_jwk(cached_key("X448"))));
    // An X25519 key labelled Ed25519 is 32 bytes and would parse: curve names
    // are all there is to tell them apart, so the label must be exact.
    const Json ed = public_jwk(cached_key("ED25519"));
    for (const char *crv : {"ed25519", "Ed448", "X25519", "", "EdDSA"}) EXPECT_FALSE(accepted(with(ed, "crv", crv))) << crv;
    EXPECT_FALSE(accepted(without(ed, "crv")));
}

// ---- oct --------------------------------------------------------------------

TEST(JwkOct, LocalKeysAllowTheHmacsTheirLengthSupports) {
    struct Case {
        std::size_t bytes;
        unsigned allowed;
    } cases[] = {
        {32, bit_of(Algorithm::HS256)},
        {47, bit_of(Algorithm::HS256)},
        {48, bit_of(Algorithm::HS256) | bit_of(Algorithm::HS384)},
        {63, bit_of(Algorithm::HS256) | bit_of(Algorithm::HS384)},
        {64, mastra_auth::kHmacAlgorithms},
        {200, mastra_auth::kHmacAlgorithms},
    };
    for (const Case &c : cases) {
        Parsed p = parse(oct_jwk(c.bytes), KeySource::Local);
        ASSERT_TRUE(p.ok) << c.bytes << ": " << p.reason;
        EXPECT_EQ(p.key.family, KeyFamily::Oct);
        EXPECT_EQ(p.key.allowed, c.allowed) << c.bytes;
        EXPECT_EQ(p.key.secret, std::string(c.bytes, '\x5a'));
        EXPECT_FALSE(p.key.pkey);
    }
    EXPECT_FALSE(accepted(oct_jwk(31), KeySource::Local));
    EXPECT_FALSE(accepted(oct_jwk(1), KeySource::Local));
    EXPECT_FALSE(accepted(Json{{"kty", "oct"}, {"k", ""}}, KeySource::Local));
    EXPECT_FALSE(accepted(Json{{"kty", "oct"}}, KeySource::Local));
    // A named alg needs the length of its own hash (RFC 7518 3.2).
    EXPECT_TRUE(accepted(with(oct_jwk(32), "alg", "HS256"), KeySource::Local));
    EXPECT_FALSE(accepted(with(oct_jwk(32), "alg", "HS384"), KeySource::Local));
    EXPECT_FALSE(accepted(with(oct_jwk(63), "alg", "HS512"), KeySource::Local));
    Parsed hs512 = parse(with(oct_jwk(64), "alg", "HS512"), KeySource::Local);
    ASSERT_TRUE(hs512.ok);
    EXPECT_EQ(hs512.key.allowed, bit_of(Algorithm::HS512));
}

TEST(JwkOct, RemoteKeysAreRefusedWhateverTheirLength) {
    for (std::size_t bytes : {32u, 64u, 128u}) {
        Parsed p = parse(oct_jwk(bytes), KeySource::Remote);
        EXPECT_FALSE(p.ok) << bytes;
        EXPECT_NE(p.reason.find("oct"), std::string::npos) << p.reason;
        EXPECT_TRUE(p.key.secret.empty());
    }
    EXPECT_FALSE(accepted(with(oct_jwk(64), "alg", "HS256"), KeySource::Remote));
}

// ---- use, key_ops, alg, kid, kty ------------------------------------------

TEST(JwkMembers, UseOtherThanSigIsRefused) {
    const Json jwk = rsa_jwk();
    EXPECT_TRUE(accepted(with(jwk, "use", "sig")));
    for (const Json &use : {Json("enc"), Json("SIG"), Json("sig "), Json(""), Json(1), Json::array({"sig"}),
                            Json(nullptr)})
        EXPECT_FALSE(accepted(with(jwk, "use", use))) << use.dump();
    EXPECT_FALSE(accepted(with(oct_jwk(32), "use", "enc"), KeySource::Local));
}

TEST(JwkMembers, KeyOpsMustBeUniqueStringsIncludingVerify) {
    const Json jwk = public_jwk(cached_key("P-256"));
    EXPECT_TRUE(accepted(with(jwk, "key_ops", Json::array({"verify"}))));
    EXPECT_TRUE(accepted(with(jwk, "key_ops", Json::array({"sign", "verify"}))));
    EXPECT_TRUE(accepted(with(with(jwk, "key_ops", Json::array({"verify"})), "use", "sig")));
    const Json refused[] = {
        Json::array({"encrypt"}),
        Json::array({"sign"}),
        Json::array(),
        Json::array({"verify", "verify"}),
        Json::array({"verify", "sign", "verify"}),
        Json::array({"Verify"}),
        Json::array({"sign, verify"}),   // Wycheproof / RFC 7520 figure 3's malformed list
        Json::array({"verify", 1}),
        Json::array({1}),
        Json::array({Json::array({"verify"})}),
        Json("verify"),
        Json(nullptr),
        Json::object({{"verify", true}}),
    };
    for (const Json &ops : refused) EXPECT_FALSE(accepted(with(jwk, "key_ops", ops))) << ops.dump();
}

TEST(JwkMembers, AlgMustFitTheKey) {
    const Json rsa = rsa_jwk();
    const Json p256 = public_jwk(cached_key("P-256"));
    const Json p384 = public_jwk(cached_key("P-384"));
    const Json ed = public_jwk(cached_key("ED25519"));

    // Refused: the catalogue's K3/K4 shapes and their kin.
    EXPECT_FALSE(accepted(with(p256, "alg", "RS256")));
    EXPECT_FALSE(accepted(with(p256, "alg", "ES384")));
    EXPECT_FALSE(accepted(with(p256, "alg", "ES512")));
    EXPECT_FALSE(accepted(with(p384, "alg", "ES256")));
    EXPECT_FALSE(accepted(with(rsa, "alg", "HS256")));
    EXPECT_FALSE(accepted(with(rsa, "alg", "ES256")));
    EXPECT_FALSE(accepted(with(rsa, "alg", "EdDSA")));
    EXPECT_FALSE(accepted(with(ed, "alg", "ES256")));
    EXPECT_FALSE(accepted(with(ed, "alg", "Ed448")));
    EXPECT_FALSE(accepted(with(oct_jwk(64), "alg", "RS256"), KeySource::Local));
    for (const Json &alg : {Json("none"), Json("rs256"), Json("RS256 "), Json("RSA1_5"), Json("RSA-OAEP"),
                            Json("ES521"), Json("ES224"), Json(""), Json(256), Json(nullptr),
                            Json::array({"RS256"})})
        EXPECT_FALSE(accepted(with(rsa, "alg", alg))) << alg.dump();

    // Accepted: the key is then pinned to exactly that algorithm (RFC 8725 3.1).
    Parsed ps = parse(with(rsa, "alg", "PS256"));
    ASSERT_TRUE(ps.ok) << ps.reason;
    EXPECT_EQ(ps.key.alg, Algorithm::PS256);
    EXPECT_EQ(ps.key.allowed, bit_of(Algorithm::PS256));
    EXPECT_FALSE(ps.key.fits(Algorithm::RS256));

    Parsed es = parse(with(p256, "alg", "ES256"));
    ASSERT_TRUE(es.ok);
    EXPECT_EQ(es.key.allowed, bit_of(Algorithm::ES256));

    // RFC 9864's fully specified name is the same algorithm.
    for (const char *name : {"EdDSA", "Ed25519"}) {
        Parsed p = parse(with(ed, "alg", name));
        ASSERT_TRUE(p.ok) << name << ": " << p.reason;
        EXPECT_EQ(p.key.alg, Algorithm::EdDSA) << name;
        EXPECT_EQ(p.key.allowed, bit_of(Algorithm::EdDSA));
    }
}

TEST(JwkMembers, KidIsAStringOfAtMost256Bytes) {
    const Json jwk = rsa_jwk();
    Parsed p = parse(with(jwk, "kid", "key-1"));
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.key.kid, "key-1");
    EXPECT_TRUE(accepted(with(jwk, "kid", std::string(256, 'k'))));
    EXPECT_FALSE(accepted(with(jwk, "kid", std::string(257, 'k'))));
    EXPECT_FALSE(accepted(with(jwk, "kid", std::string(10000, 'k'))));
    for (const Json &kid : {Json(123), Json(nullptr), Json(true), Json::object(), Json::array({"k"})})
        EXPECT_FALSE(accepted(with(jwk, "kid", kid))) << kid.dump();
    // Opaque and byte-exact: odd characters are kept, not interpreted.
    Parsed odd = parse(with(jwk, "kid", "../../dev/null' OR 1=1--"));
    ASSERT_TRUE(odd.ok);
    EXPECT_EQ(odd.key.kid, "../../dev/null' OR 1=1--");
}

TEST(JwkMembers, KtyIsRequiredAndCaseSensitive) {
    const Json jwk = rsa_jwk();
    EXPECT_FALSE(accepted(without(jwk, "kty")));
    for (const Json &kty : {Json("rsa"), Json("Rsa"), Json("RSA "), Json("XYZ"), Json(""), Json(1), Json(nullptr)})
        EXPECT_FALSE(accepted(with(jwk, "kty", kty))) << kty.dump();
    // The members of another type do not make a key of that type.
    EXPECT_FALSE(accepted(with(public_jwk(cached_key("P-256")), "kty", "RSA")));
    EXPECT_FALSE(accepted(with(jwk, "kty", "EC")));
    EXPECT_FALSE(accepted(with(jwk, "kty", "oct"), KeySource::Local));
    for (const Json &not_object : {Json::array({jwk}), Json("RSA"), Json(nullptr), Json(1)})
        EXPECT_FALSE(accepted(not_object)) << not_object.dump();
}

TEST(JwkMembers, RemotePrivateMembersAreRefused) {
    const Json rsa = rsa_jwk();
    const Json ec = public_jwk(cached_key("P-256"));
    const Json ed = public_jwk(cached_key("ED25519"));
    for (const char *member : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
        for (const Json &base : {rsa, ec, ed}) {
            Parsed remote = parse(with(base, member, "AQAB"), KeySource::Remote);
            EXPECT_FALSE(remote.ok) << member << " " << base["kty"];
            EXPECT_NE(remote.reason.find(std::string("\"") + member + "\""), std::string::npos) << remote.reason;
            // Even with a value of the wrong type or an empty one: the name alone refuses.
            EXPECT_FALSE(accepted(with(base, member, nullptr), KeySource::Remote)) << member;
        }
        // A local file may hold a whole (private) JWK: its public part is used.
        EXPECT_TRUE(accepted(with(rsa, member, "AQAB"), KeySource::Local)) << member;
    }
}

// ---- KeySet -----------------------------------------------------------------

TEST(KeySetParse, UnknownKtyIsSkippedAndNamedWhileTheRestWorks) {
    const Json good = with_kid(rsa_jwk(), "good");
    SetResult r = parse_set(set_text({Json{{"kty", "XYZ"}, {"kid", "weird-one"}, {"crv", "P-256"}}, good,
                                      with_kid(public_jwk(cached_key("ED448")), "ed448"),
                                      with_kid(with(public_jwk(cached_key("P-256")), "use", "enc"), "enc-key")}));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.set.size(), 1u);
    ASSERT_EQ(r.set.skipped().size(), 3u);
    EXPECT_NE(r.set.skipped()[0].find("weird-one"), std::string::npos) << r.set.skipped()[0];
    EXPECT_NE(r.set.skipped()[0].find("XYZ"), std::string::npos) << r.set.skipped()[0];
    EXPECT_NE(r.set.skipped()[1].find("ed448"), std::string::npos) << r.set.skipped()[1];
    EXPECT_NE(r.set.skipped()[2].find("enc-key"), std::string::npos) << r.set.skipped()[2];

    bool known = false;
    auto found = r.set.candidates("good", Algorithm::RS256, known);
    EXPECT_TRUE(known);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->kid, "good");
    // A skipped key's kid is unknown: a refetch may bring a usable one.
    EXPECT_TRUE(r.set.candidates("enc-key", Algorithm::ES256, known).empty());
    EXPECT_FALSE(known);
}

TEST(KeySetParse, SkippedLinesAreSafeForTheLog) {
    SetResult r = parse_set(set_text({Json{{"kty", "XYZ\"\n"}, {"kid", "a\"b\r\nc"}}, Json(42)}));
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.set.skipped().size(), 2u);
    for (const std::string &line : r.set.skipped()) {
        EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    }
}

TEST(KeySetParse, DuplicateKidMatchesNothing) {
    const Json a = with_kid(rsa_jwk(), "dup");
    const Json b = with_kid(fake_rsa_jwk(), "dup");
    const Json other = with_kid(public_jwk(cached_key("P-256")), "other");
    SetResult r = parse_set(set_text({a, b, other}));
    ASSERT_TRUE(r.ok) << r.error;
    bool known = false;
    EXPECT_TRUE(r.set.candidates("dup", Algorithm::RS256, known).empty());
    EXPECT_TRUE(known);   // known but ambiguous: no refetch cure, no key
    EXPECT_EQ(r.set.candidates("other", Algorithm::ES256, known).size(), 1u);
    EXPECT_TRUE(known);
    // A token without a kid does not reach them either (docs/providers.md:
    // the kid is unusable), and the kid is named once among the skipped.
    EXPECT_TRUE(r.set.candidates("", Algorithm::RS256, known).empty());
    EXPECT_EQ(r.set.candidates("", Algorithm::ES256, known).size(), 1u);
    ASSERT_EQ(r.set.skipped().size(), 1u);
    EXPECT_NE(r.set.skipped()[0].find("\"dup\": held by more than one key"), std::string::npos)
        << r.set.skipped()[0];
    // The same key twice under one kid is ambiguous all the same.
    SetResult same = parse_set(set_text({a, a}));
    ASSERT_TRUE(same.ok);
    EXPECT_TRUE(same.set.candidates("dup", Algorithm::RS256, known).empty());
    // Wycheproof DuplicateKid shape (two oct keys, local).
    SetResult oct = parse_set(set_text({with_kid(oct_jwk(32), "k"), with_kid(oct_jwk(40), "k")}), KeySource::Local);
    ASSERT_TRUE(oct.ok);
    EXPECT_TRUE(oct.set.candidates("k", Algorithm::HS256, known).empty());
}

TEST(KeySetParse, DuplicateKidAcrossMergedSetsMatchesNothing) {
    SetResult a = parse_set(set_text({with_kid(rsa_jwk(), "k")}));
    SetResult b = parse_set(set_text({with_kid(fake_rsa_jwk(), "k")}));
    ASSERT_TRUE(a.ok && b.ok);
    bool known = false;
    EXPECT_EQ(a.set.candidates("k", Algorithm::RS256, known).size(), 1u);
    a.set.merge(std::move(b.set));
    EXPECT_EQ(a.set.size(), 2u);
    EXPECT_TRUE(a.set.candidates("k", Algorithm::RS256, known).empty());
    EXPECT_TRUE(known);
}

TEST(KeySetParse, KeysWithoutKidMatchAnyKid) {
    SetResult r = parse_set(set_text({rsa_jwk(), with_kid(public_jwk(cached_key("P-256")), "ec")}));
    ASSERT_TRUE(r.ok);
    bool known = false;
    auto found = r.set.candidates("whatever", Algorithm::RS256, known);
    EXPECT_TRUE(known);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->family, KeyFamily::Rsa);
    // ... but only for the algorithms they fit.
    EXPECT_TRUE(r.set.candidates("whatever", Algorithm::ES256, known).empty());
    EXPECT_TRUE(known);
    EXPECT_TRUE(r.set.candidates("whatever", Algorithm::HS256, known).empty());
    // A token without kid tries every key that fits.
    EXPECT_EQ(r.set.candidates("", Algorithm::ES256, known).size(), 1u);
    EXPECT_TRUE(known);
    EXPECT_EQ(r.set.candidates("", Algorithm::PS512, known).size(), 1u);
    EXPECT_TRUE(r.set.candidates("", Algorithm::EdDSA, known).empty());
}

TEST(KeySetParse, UnknownKidIsReportedUnknown) {
    SetResult r = parse_set(set_text({with_kid(rsa_jwk(), "a"), with_kid(public_jwk(cached_key("P-256")), "b")}));
    ASSERT_TRUE(r.ok);
    bool known = true;
    EXPECT_TRUE(r.set.candidates("c", Algorithm::RS256, known).empty());
    EXPECT_FALSE(known);
    // Byte-exact: no case folding, no trimming, no prefix match.
    for (const char *kid : {"A", "a ", " a", "aa"}) {
        known = true;
        EXPECT_TRUE(r.set.candidates(kid, Algorithm::RS256, known).empty()) << kid;
        EXPECT_FALSE(known) << kid;
    }
    known = true;
    EXPECT_TRUE(r.set.candidates(std::string_view("a\0", 2), Algorithm::RS256, known).empty());
    EXPECT_FALSE(known);
    // A known kid with an algorithm its key does not fit: known, no candidate.
    EXPECT_TRUE(r.set.candidates("a", Algorithm::ES256, known).empty());
    EXPECT_TRUE(known);
}

TEST(KeySetParse, DocumentErrorsRefuseTheWholeSet) {
    const std::string key = rsa_jwk().dump();
    for (const std::string &text : std::vector<std::string>{
             "", "not json", "[]", "\"keys\"", "null", "{}", R"({"keys":{}})", R"({"keys":"x"})",
             R"({"keys":null})", R"({"Keys":[]})", "{\"keys\":[" + key + "]} x", "{\"keys\":[" + key + "]",
             "{\"keys\":[],\"keys\":[" + key + "]}", std::string("{\"keys\":[]}\0", 12)}) {
        SetResult r = parse_set(text);
        EXPECT_FALSE(r.ok) << text.substr(0, 80);
    }
    SetResult empty = parse_set(R"({"keys":[]})");
    EXPECT_TRUE(empty.ok);
    EXPECT_EQ(empty.set.size(), 0u);
    // Other members next to "keys" are allowed (RFC 7517 5).
    EXPECT_TRUE(parse_set("{\"keys\":[" + key + "],\"x\":1}").ok);
}

TEST(KeySetParse, AtMost100Keys) {
    std::vector<Json> keys;
    const Json ec = public_jwk(cached_key("P-256"));
    for (int i = 0; i < 100; i++) keys.push_back(with_kid(ec, "k" + std::to_string(i)));
    SetResult hundred = parse_set(set_text(keys));
    ASSERT_TRUE(hundred.ok) << hundred.error;
    EXPECT_EQ(hundred.set.size(), 100u);
    keys.push_back(with_kid(ec, "k100"));
    SetResult more = parse_set(set_text(keys));
    EXPECT_FALSE(more.ok);
    EXPECT_NE(more.error.find("100"), std::string::npos) << more.error;
    // Unusable members count too: 101 of them are refused before any parsing.
    std::vector<Json> junk(101, Json{{"kty", "XYZ"}});
    EXPECT_FALSE(parse_set(set_text(junk)).ok);
}

TEST(KeySetParse, RemoteSetsDropOctAndPrivateKeys) {
    const Json oct = with_kid(oct_jwk(64), "hmac");
    const Json priv = with_kid(with(public_jwk(cached_key("P-256")), "d", "AQAB"), "private");
    const Json pub = with_kid(rsa_jwk(), "public");
    SetResult remote = parse_set(set_text({oct, priv, pub}), KeySource::Remote);
    ASSERT_TRUE(remote.ok);
    EXPECT_EQ(remote.set.size(), 1u);
    EXPECT_EQ(remote.set.skipped().size(), 2u);
    bool known = true;
    EXPECT_TRUE(remote.set.candidates("hmac", Algorithm::HS256, known).empty());
    EXPECT_FALSE(known);
    SetResult local = parse_set(set_text({oct, priv, pub}), KeySource::Local);
    ASSERT_TRUE(local.ok);
    EXPECT_EQ(local.set.size(), 3u);
    EXPECT_EQ(local.set.candidates("hmac", Algorithm::HS256, known).size(), 1u);
}

// ---- PEM ----------------------------------------------------------------------

TEST(PemKeys, RsaEcAndEd25519SpkiAreAccepted) {
    Parsed rsa = parse_pem(public_pem(cached_key("RSA-2048")));
    ASSERT_TRUE(rsa.ok) << rsa.reason;
    EXPECT_EQ(rsa.key.family, KeyFamily::Rsa);
    EXPECT_EQ(rsa.key.allowed, kRsaBits);
    EXPECT_TRUE(rsa.key.kid.empty());
    EXPECT_EQ(EVP_PKEY_eq(rsa.key.pkey.get(), cached_key("RSA-2048")), 1);

    for (const CurveCase &c : kCurveCases) {
        Parsed ec = parse_pem(public_pem(cached_key(c.kind)));
        ASSERT_TRUE(ec.ok) << c.crv << ": " << ec.reason;
        EXPECT_EQ(ec.key.family, KeyFamily::Ec);
        EXPECT_EQ(ec.key.allowed, bit_of(c.alg)) << c.crv;
    }

    Parsed ed = parse_pem(public_pem(cached_key("ED25519")));
    ASSERT_TRUE(ed.ok) << ed.reason;
    EXPECT_EQ(ed.key.family, KeyFamily::Okp);
    EXPECT_EQ(ed.key.allowed, bit_of(Algorithm::EdDSA));

    // Text around the block (a comment line, CRLF line ends) is tolerated.
    std::string crlf;
    for (char ch : public_pem(cached_key("P-256"))) {
        if (ch == '\n') crlf += '\r';
        crlf += ch;
    }
    EXPECT_TRUE(parse_pem("# issuer key\n" + crlf).ok);
}

TEST(PemKeys, WeakOrUnsupportedKeysAreRefused) {
    EXPECT_FALSE(parse_pem(public_pem(cached_key("RSA-1024"))).ok);
    EXPECT_FALSE(parse_pem(pem_of_fake_rsa(2047)).ok);
    EXPECT_TRUE(parse_pem(pem_of_fake_rsa(8192)).ok);
    EXPECT_FALSE(parse_pem(pem_of_fake_rsa(8193)).ok);
    EXPECT_FALSE(parse_pem(public_pem(cached_key("secp256k1"))).ok);
    EXPECT_FALSE(parse_pem(public_pem(cached_key("ED448"))).ok);
    EXPECT_FALSE(parse_pem(public_pem(cached_key("X25519"))).ok);
}

TEST(PemKeys, GarbageIsRefused) {
    const std::string good = public_pem(cached_key("RSA-2048"));
    std::string body_changed = good;
    body_changed[body_changed.find('\n') + 10] = '*';
    std::string truncated = good.substr(0, good.size() / 2);
    std::string der = public_der(cached_key("RSA-2048"));
    std::string private_pem;
    {
        std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
        ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), cached_key("P-256"), nullptr, nullptr, 0, nullptr, nullptr), 1);
        char *data = nullptr;
        long len = BIO_get_mem_data(bio.get(), &data);
        private_pem.assign(data, static_cast<std::size_t>(len));
    }
    for (const std::string &text : {std::string(), std::string("garbage"), std::string("-----BEGIN PUBLIC KEY-----\n"),
                                    std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                                    body_changed, truncated, der, private_pem,
                                    rsa_jwk().dump()}) {
        Parsed p = parse_pem(text);
        EXPECT_FALSE(p.ok) << text.substr(0, 60);
    }
}
