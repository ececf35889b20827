#pragma once
// The one error convention of kvip's libraries (net/, k8s/, simulation/): an
// operation that can fail returns `result<T>` — a value or an error, never an
// exception and never a `std::string& err` out-parameter.
//
//   net::result<int> r = open_thing(name);
//   if (!r) return r.err();                 // an error converts into any result
//   use(*r);
//
// `E` is the error type: `net::error` (a message naming what went wrong and,
// for system calls, the errno) unless a library has a richer one (k8s::error
// classifies HTTP failures; k8s::result<T> is net::result<T, k8s::error>).
// `result<void>` is "ok or an error".

#include <string>
#include <utility>
#include <variant>

namespace kvip::net {

/// A failure: what went wrong, naming the thing it concerns ("eth9: no such
/// interface"), and the errno of a failed system call (0 when none).
struct error {
  std::string message;
  int code = 0;

  /// One line for logs: the message, then strerror(code) when code != 0.
  std::string describe() const;
};

/// Builds an error (a system call's errno as `code`).
inline error make_error(std::string message, int code = 0) {
  return error{std::move(message), code};
}

/// A value of T or an error of E.
template <class T, class E = error>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(E e) : v_(std::in_place_index<1>, std::move(e)) {}

  /// True if this holds a value.
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The value; only valid when ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }

  /// The value, or `fallback` when this is an error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  /// The error; only valid when !ok().
  const E& err() const { return std::get<1>(v_); }
  E& err() { return std::get<1>(v_); }

  /// True if this is an error whose `kind` is `k` (for error types that
  /// classify, like k8s::error).
  template <class K>
  bool is(K k) const {
    return !ok() && err().kind == k;
  }

private:
  std::variant<T, E> v_;
};

/// Success or an error of E.
template <class E>
class [[nodiscard]] result<void, E> {
public:
  result() = default;
  result(E e) : e_(std::move(e)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }

  /// The error; only valid when !ok().
  const E& err() const { return e_; }
  E& err() { return e_; }

  template <class K>
  bool is(K k) const {
    return !ok_ && e_.kind == k;
  }

private:
  E e_{};
  bool ok_ = true;
};

/// Success, for `result<void>` returns: `return net::ok();`.
inline result<void> ok() {
  return {};
}

} // namespace kvip::net
