// Pure string work on request parts: path safety, bearer scheme, query and
// cookie lookups, percent-decoding.  No nginx types, so it is unit-tested.
#ifndef MASTRA_AUTH_REQUEST_TEXT_H
#define MASTRA_AUTH_REQUEST_TEXT_H

#include <string>
#include <string_view>

namespace mastra_auth {

// False when the decoded path holds '\' or NUL, when slashes are merged and
// the raw path holds both an empty segment ("//") and a dot segment (nginx
// then resolves them differently from Node), or (unless allowed) the raw
// path holds %2F in any case.
// slashes_merged: nginx's merge_slashes is on (the default).
bool path_is_checkable(std::string_view raw_path, std::string_view decoded_path,
                       bool allow_encoded_slashes, bool slashes_merged = true) noexcept;

// "Bearer TOKEN" (scheme in any case, then one or more spaces) -> TOKEN.
bool bearer_token(std::string_view header, std::string_view &token) noexcept;

// Non-empty occurrences of name: 0, 1, or 2 for "more than one"; first kept.
int query_arg(std::string_view args, std::string_view name, std::string_view &raw) noexcept;
int cookie_value(std::string_view header, std::string_view name, std::string_view &raw) noexcept;

// The query string without every parameter whose name is one of names, as
// sent or once percent-decoded (an upstream decodes "api%4Bey" to apiKey);
// the others keep their order and bytes.  Never longer than args.
std::string query_without(std::string_view args, const std::string_view *names, std::size_t n);

// %XX decoding ('+' left alone); false on a malformed escape.
bool percent_decode(std::string_view in, std::string &out);

}  // namespace mastra_auth

#endif
