// The CA certificates a configuration names (mastra_auth_ca_file), checked
// when the configuration loads: the master reads the file as root, and
// workers, which may not be able to open it, hand its text to libcurl from
// memory.
#ifndef MASTRA_AUTH_CA_BUNDLE_H
#define MASTRA_AUTH_CA_BUNDLE_H

#include <cstddef>
#include <string>
#include <string_view>

namespace mastra_auth {

// PEM text as libcurl reads CURLOPT_CAINFO_BLOB: every PEM block parsed
// (text between blocks ignored), at least one CERTIFICATE among them.  The
// number of certificates, or false and why (for an [emerg]).
bool check_ca_bundle(std::string_view pem, std::size_t &certificates, std::string &error) noexcept;

}  // namespace mastra_auth

#endif
