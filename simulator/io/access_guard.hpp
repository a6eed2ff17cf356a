#pragma once
// Who may use a listener: the one rule every network endpoint of the simulator follows
// (the control channel today; metrics and web endpoints later). A listener on a loopback
// address serves this host only and needs nothing more; bound anywhere else it needs a
// token that every client sends, compared in constant time. The token comes from a file
// (never from the command line, where `ps` would show it) and is never logged.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace nt35e::io {

/// Longest and shortest token a token file may hold.
inline constexpr std::size_t max_token_size = 1024;
inline constexpr std::size_t min_token_size = 16;

/// True when only this host can reach `a`: 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
/// The unspecified addresses (0.0.0.0, ::) listen on every interface: not loopback.
bool is_loopback(const boost::asio::ip::address& a);

/// a == b in a time that depends on the length of `given` only, never on where the
/// bytes differ or on the secret's content (its length may leak; its bytes do not).
bool constant_time_equal(std::string_view secret, std::string_view given);

/// The token of an HTTP "Authorization: Bearer TOKEN" value (the scheme in any case,
/// blanks around the token dropped), or "" for any other value. The HTTP endpoints
/// (--metrics, --web) take the token this way.
std::string_view bearer_token(std::string_view authorization);

/// Reads a token file: one line of printable ASCII without blanks, min_token_size to
/// max_token_size characters (one trailing line end is dropped). Refused, with one
/// sentence in `error` that names the file but never shows its content: missing or
/// unreadable, not a regular file, readable or writable by every user of the machine
/// (other users could then read or replace the token), empty, too short or too long, or
/// holding other characters.
std::optional<std::string> read_token_file(const std::string& path, std::string& error);

/// Why a listener given by `option` (as in "--control") on `where` may not start: one
/// sentence, or "" when it may. Off loopback it needs a token (`token_option` names the
/// option that gives one).
std::string listener_refusal(std::string_view option, const boost::asio::ip::tcp::endpoint& where, bool has_token,
                             std::string_view token_option);

}  // namespace nt35e::io
