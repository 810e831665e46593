// The C seam (see api.cpp): claim conditions, route patterns and the
// request text helpers (paths, bearer headers, query strings, cookies).

#include "api_seam.h"

#include <optional>

#include "mastra_auth/request_text.h"

using namespace mastra_auth;
using namespace mastra_auth::seam;

extern "C" {

int ma_op_parse(ma_str_t text, ma_op_t *op) {
    Op parsed;
    if (!op_from_text(view(text), parsed)) return -1;
    *op = static_cast<ma_op_t>(parsed);
    return 0;
}

ma_status_t ma_condition_create(ma_str_t path, ma_op_t op, ma_str_t static_value,
                                ma_condition_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        std::optional<std::string_view> value;
        if (static_value.data != nullptr) value = view(static_value);
        std::unique_ptr<Condition> condition;
        std::string error;
        Status status = Condition::create(view(path), static_cast<Op>(op), value, condition, error);
        if (status != Status::Ok) {
            set_error(err, errlen, error);
            return to_c(status);
        }
        *out = new ma_condition_s{std::move(condition)};
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_condition_free(ma_condition_t *condition) { delete condition; }

int ma_condition_eval(const ma_condition_t *condition, const ma_identity_t *identity,
                      ma_str_t value) {
    try {
        // No claims document (none verified, or out of memory building it):
        // no condition holds, not even a negative one.
        const nlohmann::json &claims = identity->identity.claims();
        if (!claims.is_object()) return 0;
        return condition->condition->eval(claims, view(value)) ? 1 : 0;
    } catch (...) {
        return 0;   // fail closed
    }
}

ma_status_t ma_pattern_compile(ma_str_t text, ma_pattern_t **out, char *err, size_t errlen) {
    try {
        *out = nullptr;
        auto pattern = std::make_unique<ma_pattern_s>();
        std::string error;
        Status status = Pattern::compile(view(text), pattern->pattern, error);
        if (status != Status::Ok) {
            set_error(err, errlen, error);
            return to_c(status);
        }
        *out = pattern.release();
        return MA_OK;
    } catch (...) {
        set_error(err, errlen, "out of memory");
        return MA_INTERNAL_ERROR;
    }
}

void ma_pattern_free(ma_pattern_t *pattern) { delete pattern; }

int ma_pattern_match(const ma_pattern_t *pattern, ma_str_t path, ma_params_t *params) {
    try {
        std::vector<RouteParam> found;
        if (!pattern->pattern.match(view(path), &found)) return 0;
        if (params != nullptr) {
            params->n = std::min<std::size_t>(found.size(), MA_MAX_PARAMS);
            for (std::size_t i = 0; i < params->n; i++) {
                params->name[i] = str(found[i].name);
                params->value[i] = str(found[i].value);
            }
        }
        return 1;
    } catch (...) {
        return 0;   // callers treat "no match" as protected: fail closed
    }
}

ma_status_t ma_path_check(ma_str_t raw_path, ma_str_t decoded_path, int flags) {
    return path_is_checkable(view(raw_path), view(decoded_path),
                             (flags & MA_PATH_ALLOW_ENCODED_SLASHES) != 0,
                             (flags & MA_PATH_SLASHES_KEPT) == 0)
               ? MA_OK
               : MA_BAD_PATH;
}

int ma_bearer_token(ma_str_t header, ma_str_t *token) {
    std::string_view found;
    if (!bearer_token(view(header), found)) return 0;
    *token = str(found);
    return 1;
}

int ma_query_arg(ma_str_t args, ma_str_t name, ma_str_t *raw) {
    std::string_view found;
    int n = query_arg(view(args), view(name), found);
    if (n > 0) *raw = str(found);
    return n;
}

size_t ma_query_without(ma_str_t args, const ma_str_t *names, size_t n, char *out) {
    try {
        std::vector<std::string_view> list;
        for (size_t i = 0; i < n; i++) list.push_back(view(names[i]));
        std::string text = query_without(view(args), list.data(), list.size());
        std::memcpy(out, text.data(), text.size());
        return text.size();
    } catch (...) {
        return 0;
    }
}

int ma_cookie_value(ma_str_t cookie_header, ma_str_t name, ma_str_t *raw) {
    std::string_view found;
    int n = cookie_value(view(cookie_header), view(name), found);
    if (n > 0) *raw = str(found);
    return n;
}

long ma_percent_decode(ma_str_t in, char *out) {
    try {
        std::string decoded;
        if (!percent_decode(view(in), decoded)) return -1;
        std::memcpy(out, decoded.data(), decoded.size());
        return static_cast<long>(decoded.size());
    } catch (...) {
        return -1;
    }
}

}  // extern "C"
