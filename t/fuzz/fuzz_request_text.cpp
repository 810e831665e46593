// libFuzzer: the request helpers (path safety, bearer scheme, query and
// cookie lookups, percent-decoding) and claim conditions.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mastra_auth/condition.h"
#include "mastra_auth/request_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    std::string_view view;
    (void) mastra_auth::path_is_checkable(input, input, false);
    (void) mastra_auth::bearer_token(input, view);
    (void) mastra_auth::query_arg(input, "apiKey", view);
    (void) mastra_auth::cookie_value(input, "better-auth.session_token", view);
    std::string out;
    if (mastra_auth::percent_decode(input, out) && out.size() > input.size()) __builtin_trap();

    std::unique_ptr<mastra_auth::Condition> condition;
    std::string error;
    if (mastra_auth::Condition::create(input, mastra_auth::Op::Has, std::string_view("x"), condition,
                                       error) == mastra_auth::Status::Ok)
        (void) condition->eval(nlohmann::json::parse(R"({"a":{"b":["x"]},"c":1})"), "");
    if (mastra_auth::Condition::create("a", mastra_auth::Op::Match, input, condition, error) ==
        mastra_auth::Status::Ok)
        (void) condition->eval(nlohmann::json::parse(R"({"a":"text"})"), "");
    return 0;
}
