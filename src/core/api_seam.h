// The C seam's handles and helpers, shared by the api*.cpp files (the seam
// is cut by area: api.cpp status, algorithms and identities; api_jws.cpp
// verification and forwarding; api_keys.cpp key sets and fetches;
// api_better_auth.cpp sessions; api_request.cpp conditions, patterns and
// request text).  Private to the core: the shim sees api.h only.
#ifndef MASTRA_AUTH_API_SEAM_H
#define MASTRA_AUTH_API_SEAM_H

#include "mastra_auth/api.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mastra_auth/condition.h"
#include "mastra_auth/fetch.h"
#include "mastra_auth/forward.h"
#include "mastra_auth/identity.h"
#include "mastra_auth/jwk.h"
#include "mastra_auth/pattern.h"
#include "mastra_auth/status.h"
#include "mastra_auth/verifier.h"

struct ma_identity_s {
    mastra_auth::Identity identity;
};

struct ma_keyset_s {
    mastra_auth::KeySet set;
};

struct ma_jws_verifier_s {
    mastra_auth::JwsVerifier verifier;
};

struct ma_fetch_s {
    mastra_auth::FetchResult result;
};

struct ma_forwarder_s {
    mastra_auth::Forwarder forwarder;
};

struct ma_condition_s {
    std::unique_ptr<mastra_auth::Condition> condition;
};

struct ma_claim_path_s {
    std::vector<std::string> segments;
};

struct ma_pattern_s {
    mastra_auth::Pattern pattern;
};

namespace mastra_auth::seam {

inline std::string_view view(ma_str_t s) {
    return s.len ? std::string_view(s.data, s.len) : std::string_view();
}

inline ma_str_t str(std::string_view s) { return ma_str_t{s.data(), s.size()}; }

inline ma_status_t to_c(Status status) { return static_cast<ma_status_t>(status); }

inline void set_error(char *err, std::size_t errlen, const std::string &message) {
    if (err == nullptr || errlen == 0) return;
    std::size_t n = std::min(message.size(), errlen - 1);
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

}  // namespace mastra_auth::seam

#endif
