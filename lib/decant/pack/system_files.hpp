#pragma once

// The small system files a process needs at run time, computed from the source host's: only
// the passwd/group entries of the users the image runs as, a name-service configuration that
// only uses what is in the image, and where time-zone and locale data live.

#include <decant/proc/parse.hpp>

#include <optional>
#include <string>
#include <vector>

namespace decant {

// /etc/passwd of the image: root and the app user (by name or numeric uid), lines copied from
// the source as they are; a user missing on the source gets a synthesized line.
std::string image_passwd(const std::vector<PasswdEntry>& source,
                         const std::string& user,
                         uint32_t uid,
                         uint32_t gid);

// /etc/group of the image: root, the app user's primary group and its supplementary groups
// (names or numbers). Member lists are reduced to the users the image has.
std::string image_group(const std::vector<GroupEntry>& source,
                        uint32_t primary_gid,
                        const std::vector<std::string>& groups,
                        const std::vector<std::string>& users);

// nsswitch.conf using only the "files" and "dns" services, both built into glibc >= 2.34: the
// source's may name modules (systemd, sss, ldap) that are not in the image.
extern const char* const k_image_nsswitch_conf;

// "en_US.UTF-8" -> "en_US.utf8": the directory name under /usr/lib/locale (localedef
// normalizes the codeset: lowercase, no '-').
std::string normalize_locale_name(const std::string& locale);

// The locale the process uses: LC_ALL, else LC_CTYPE/LC_* , else LANG; "" when none is set.
std::string process_locale(const std::vector<std::pair<std::string, std::string>>& env);

// Files each host makes for itself, so that the same packages give different bytes on two
// hosts: users and groups, host names, the dynamic loader's cache and configuration, the
// trusted CA store with the keystores generated from it (Debian's /etc/ssl/certs,
// /etc/ssl/certs/java/cacerts with its import dates; Red Hat's /etc/pki/ca-trust/extracted,
// /etc/pki/java), the time zone choice and the compiled locale archive. The packer puts them
// in the image's config layer, so the system layer is the same on every host.
bool is_host_file(const std::string& path);

// A zone name is a relative path of letters, digits, '_', '-', '+' and '/': never "..".
bool valid_timezone_name(const std::string& zone);

} // namespace decant
