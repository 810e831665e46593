#include "mastra_auth/condition.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "mastra_auth/identity.h"

namespace mastra_auth {

// A compiled PCRE2 pattern (the "~" and "!~" operators), owning its code.
class Regex {
public:
    static std::unique_ptr<Regex> compile(std::string_view pattern, std::string &error) {
        int code = 0;
        PCRE2_SIZE offset = 0;
        pcre2_code *re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                                       pattern.size(), PCRE2_UTF, &code, &offset, nullptr);
        if (re == nullptr) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(code, message, sizeof(message));
            error = "invalid regex \"" + std::string(pattern) + "\": " +
                    reinterpret_cast<char *>(message) + " at offset " + std::to_string(offset);
            return nullptr;
        }
        return std::unique_ptr<Regex>(new Regex(re));
    }

    ~Regex() { pcre2_code_free(code_); }

    bool search(std::string_view subject) const {
        pcre2_match_data *data = pcre2_match_data_create_from_pattern(code_, nullptr);
        if (data == nullptr) return false;
        // PCRE2_NO_UTF_CHECK is not passed: claims are valid UTF-8 by the JSON
        // parser, and a failed check simply does not match.
        int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                             0, 0, data, nullptr);
        pcre2_match_data_free(data);
        return rc >= 0;
    }

private:
    explicit Regex(pcre2_code *code) : code_(code) {}
    pcre2_code *code_;
};

bool op_from_text(std::string_view text, Op &out) noexcept {
    if (text == "=") { out = Op::Eq; return true; }
    if (text == "!=") { out = Op::Ne; return true; }
    if (text == "~") { out = Op::Match; return true; }
    if (text == "!~") { out = Op::NotMatch; return true; }
    if (text == "has") { out = Op::Has; return true; }
    if (text == "!has") { out = Op::NotHas; return true; }
    return false;
}

bool parse_claim_path(std::string_view text, std::vector<std::string> &out) {
    out.clear();
    if (text.empty()) return false;
    // A name in double quotes is one claim, dots and all ("https://x.com/roles").
    if (text.front() == '"') {
        if (text.size() < 3 || text.back() != '"') return false;
        std::string_view inner = text.substr(1, text.size() - 2);
        if (inner.find('"') != std::string_view::npos) return false;
        out.emplace_back(inner);
        return true;
    }
    std::size_t start = 0;
    while (true) {
        std::size_t dot = text.find('.', start);
        std::string_view segment = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (segment.empty() || segment.find('"') != std::string_view::npos) return false;
        out.emplace_back(segment);
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

Status Condition::create(std::string_view path, Op op, std::optional<std::string_view> static_value,
                         std::unique_ptr<Condition> &out, std::string &error) {
    std::unique_ptr<Condition> condition(new Condition());
    if (!parse_claim_path(path, condition->path_)) {
        error = "invalid claim name \"" + std::string(path) + "\"";
        return Status::ConfigInvalid;
    }
    condition->op_ = op;
    if (static_value) {
        condition->static_value_ = std::string(*static_value);
        if (op == Op::Match || op == Op::NotMatch) {
            condition->regex_ = Regex::compile(*static_value, error);
            if (!condition->regex_) return Status::ConfigInvalid;
        }
    }
    out = std::move(condition);
    return Status::Ok;
}

Condition::~Condition() = default;

const nlohmann::json *find_claim_path(const nlohmann::json &claims,
                                      const std::vector<std::string> &path) {
    const nlohmann::json *node = &claims;
    for (const auto &segment : path) {
        if (!node->is_object()) return nullptr;
        auto it = node->find(segment);
        if (it == node->end()) return nullptr;
        node = &*it;
    }
    return node;
}

namespace {

bool holds(const nlohmann::json &claim, Op op, std::string_view value, const Regex *regex) {
    switch (op) {
    case Op::Eq:
    case Op::Ne:
        return claim_text(claim) == value;
    case Op::Match:
    case Op::NotMatch:
        return regex != nullptr && regex->search(claim_text(claim));
    case Op::Has:
    case Op::NotHas:
        if (claim.is_array()) {
            for (const auto &member : claim)
                if (claim_text(member) == value) return true;
            return false;
        }
        return claim.is_string() && claim.get_ref<const std::string &>() == value;
    }
    return false;
}

}  // namespace

bool Condition::eval(const nlohmann::json &claims, std::string_view value) const {
    const bool negated = op_ == Op::Ne || op_ == Op::NotMatch || op_ == Op::NotHas;
    const nlohmann::json *claim = find_claim_path(claims, path_);
    // An absent claim satisfies no positive condition and every negative one.
    if (claim == nullptr) return negated;

    std::string_view effective = static_value_ ? std::string_view(*static_value_) : value;
    std::unique_ptr<Regex> dynamic;
    const Regex *regex = regex_.get();
    if (regex == nullptr && (op_ == Op::Match || op_ == Op::NotMatch)) {
        // A value built from variables is compiled per request; a bad one
        // makes the condition false whatever the operator (fail closed).
        std::string error;
        dynamic = Regex::compile(effective, error);
        regex = dynamic.get();
        if (regex == nullptr) return false;
    }
    bool result = holds(*claim, op_, effective, regex);
    return negated ? !result : result;
}

}  // namespace mastra_auth
