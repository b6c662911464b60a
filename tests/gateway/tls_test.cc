// TlsContext and TlsConnection over real loopback sockets, both ends in
// this thread: the server side is what Session and TlsStream use, the
// client a plain OpenSSL client. Certificates are made at test time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/gateway/tls_connection.h"
#include "cable/gateway/tls_context.h"
#include "tests/support/must.h"
#include "tests/support/test_certificates.h"

namespace cable::gateway {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using ::cable::testing::Must;
using ::cable::testing::TestCertificates;
using ::testing::HasSubstr;

constexpr auto kTimeout = std::chrono::seconds(10);

// Waits (bounded) until `fd` is ready for `events`.
bool Await(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1,
                static_cast<int>(
                    std::chrono::milliseconds(kTimeout).count())) == 1;
}

void Copy(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to,
                             std::filesystem::copy_options::overwrite_existing);
}

struct FreeX509 {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, FreeX509>;

X509Ptr ReadCertificate(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return nullptr;
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// A connected pair of non-blocking loopback sockets.
struct Loopback {
  net::io_context ioc;
  tcp::socket server{ioc};
  tcp::socket client{ioc};

  Loopback() {
    tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    server.non_blocking(true);
    client.non_blocking(true);
  }
};

// An OpenSSL client on a non-blocking socket, trusting `ca_files`.
class Client final {
 public:
  Client(tcp::socket& socket, const std::vector<std::string>& ca_files)
      : ctx_(SSL_CTX_new(TLS_client_method())) {
    for (const auto& ca : ca_files) {
      EXPECT_EQ(SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr), 1);
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, socket.native_handle());
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  SSL* ssl() { return ssl_; }

  // One step of the handshake: 1 done, 0 in progress, -1 failed.
  int HandshakeStep() {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) return 1;
    const int e = SSL_get_error(ssl_, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }

  // Writes all of `text` (waiting for the socket as needed).
  bool Write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      std::size_t n = 0;
      ERR_clear_error();
      if (SSL_write_ex(ssl_, text.data() + done, text.size() - done, &n) == 1) {
        done += n;
        continue;
      }
      if (SSL_get_error(ssl_, 0) != SSL_ERROR_WANT_WRITE ||
          !Await(SSL_get_fd(ssl_), POLLOUT)) {
        return false;
      }
    }
    return true;
  }

  // What is readable now (without waiting); sets `closed` on close_notify
  // and `failed` on an error.
  std::string ReadAvailable(bool* closed = nullptr, bool* failed = nullptr) {
    std::string out;
    char buf[4096];
    for (;;) {
      std::size_t n = 0;
      ERR_clear_error();
      const int r = SSL_read_ex(ssl_, buf, sizeof buf, &n);
      if (r == 1) {
        out.append(buf, n);
        continue;
      }
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_ZERO_RETURN && closed) *closed = true;
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN && failed) {
        *failed = true;
      }
      return out;
    }
  }

  // Reads until `size` bytes came, the connection ended (`closed` on
  // close_notify) or the bound passed.
  std::string Read(std::size_t size, bool* closed = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    bool ended = false;
    bool failed = false;
    std::string out;
    while (out.size() < size && !ended && !failed &&
           std::chrono::steady_clock::now() < deadline) {
      Await(SSL_get_fd(ssl_), POLLIN);
      out += ReadAvailable(&ended, &failed);
    }
    if (closed != nullptr) *closed = ended;
    return out;
  }

  X509Ptr peer() { return X509Ptr(SSL_get1_peer_certificate(ssl_)); }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
};

// Runs the handshake on both ends: the client's steps, and server reads
// (the server's handshake runs inside its reads) until the client's first
// bytes, `hello`, arrive. Returns what the server read.
std::string Handshake(Loopback& link, Client& client, TlsConnection& server,
                      const std::string& hello = "hello") {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  bool client_done = false;
  std::string received;
  while (received.size() < hello.size() &&
         std::chrono::steady_clock::now() < deadline) {
    if (!client_done) {
      const int step = client.HandshakeStep();
      if (step < 0) {
        ADD_FAILURE() << "client handshake failed";
        return received;
      }
      if (step == 1) {
        client_done = true;
        if (!client.Write(hello)) ADD_FAILURE() << "client write failed";
      }
    }
    char buf[64];
    beast::error_code ec;
    const std::size_t n = server.Read(link.server, absl::MakeSpan(buf), ec);
    received.append(buf, n);
    if (ec && ec != net::error::would_block) {
      ADD_FAILURE() << "server read: " << ec.message();
      return received;
    }
    if (ec) {
      pollfd p[2] = {
          {link.server.native_handle(),
           static_cast<short>(server.read_waits_for_write() ? POLLOUT : POLLIN),
           0},
          {link.client.native_handle(), POLLIN, 0}};
      ::poll(p, 2, 100);  // whichever side has something to do next
    }
  }
  EXPECT_TRUE(client_done);
  return received;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.has_value() && b_.has_value()) << "no test certificates";
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("cable-tls-test-", ::getpid(), "-",
                        ::testing::UnitTest::GetInstance()->random_seed(), "-",
                        counter_++);
    std::filesystem::create_directories(dir_);
    Copy(a().path("server.pem"), cert());
    Copy(a().path("server.key"), key());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Two unrelated sets, made once: certificate A (the one loaded first)
  // and B.
  static void SetUpTestSuite() {
    a_.emplace(Must(TestCertificates::Make()));
    b_.emplace(Must(TestCertificates::Make()));
  }
  static void TearDownTestSuite() {
    a_.reset();
    b_.reset();
  }
  static const TestCertificates& a() { return *a_; }
  static const TestCertificates& b() { return *b_; }

  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

  std::filesystem::path dir_;
  static inline std::optional<TestCertificates> a_;
  static inline std::optional<TestCertificates> b_;
  static inline int counter_ = 0;
};

TEST_F(TlsTest, LoadNamesTheFileThatCannotBeUsed) {
  auto missing = TlsContext::Load("/nonexistent/cert.pem", key());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("TLS certificate \"/nonexistent/cert.pem\": cannot "
                        "read: No such file or directory"));

  std::ofstream(dir_ / "garbage.pem") << "not a certificate\n";
  const std::string garbage = (dir_ / "garbage.pem").string();
  auto bad_cert = TlsContext::Load(garbage, key());
  EXPECT_THAT(bad_cert.status().message(),
              HasSubstr("TLS certificate \"" + garbage +
                        "\": not a PEM certificate chain"));
  auto bad_key = TlsContext::Load(cert(), garbage);
  EXPECT_THAT(bad_key.status().message(),
              HasSubstr("TLS key \"" + garbage + "\""));

  auto mismatched = TlsContext::Load(cert(), b().path("server.key"));
  EXPECT_THAT(mismatched.status().message(),
              HasSubstr("does not match certificate"));

  EXPECT_TRUE(TlsContext::Load(cert(), key()).ok());
}

TEST_F(TlsTest, ReloadServesTheNewCertificateToNewConnectionsOnly) {
  auto context = Must(TlsContext::Load(cert(), key()));
  const std::vector<std::string> both = {a().path("ca.pem"),
                                         b().path("ca.pem")};

  Loopback before;
  auto before_server = Must(context->Accept(before.server));
  Client before_client(before.client, both);
  EXPECT_EQ(Handshake(before, before_client, *before_server), "hello");
  EXPECT_EQ(X509_cmp(before_client.peer().get(),
                     ReadCertificate(a().path("server.pem")).get()),
            0);

  Copy(b().path("server.pem"), cert());
  Copy(b().path("server.key"), key());
  ASSERT_TRUE(context->Reload().ok());

  Loopback after;
  auto after_server = Must(context->Accept(after.server));
  Client after_client(after.client, both);
  EXPECT_EQ(Handshake(after, after_client, *after_server), "hello");
  EXPECT_EQ(X509_cmp(after_client.peer().get(),
                     ReadCertificate(b().path("server.pem")).get()),
            0);

  // A client trusting only A's CA no longer gets through.
  Loopback only_a;
  auto only_a_server = Must(context->Accept(only_a.server));
  Client only_a_client(only_a.client, {a().path("ca.pem")});
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  int step = 0;
  while (step == 0 && std::chrono::steady_clock::now() < deadline) {
    step = only_a_client.HandshakeStep();
    char buf[16];
    beast::error_code ec;
    only_a_server->Read(only_a.server, absl::MakeSpan(buf), ec);
    if (step == 0) Await(only_a.client.native_handle(), POLLIN);
  }
  EXPECT_EQ(step, -1);

  // The connection from before the reload goes on with A.
  std::vector<net::const_buffer> ping = {net::buffer("still here", 10)};
  beast::error_code ec;
  EXPECT_EQ(before_server->Write(before.server, ping, ec), 10u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(before_client.Read(10), "still here");
}

TEST_F(TlsTest, FailedReloadKeepsTheCertificateInUse) {
  auto context = Must(TlsContext::Load(cert(), key()));
  std::ofstream(cert(), std::ios::trunc) << "-----BEGIN CERTIFICATE-----\n";
  auto status = context->Reload();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(cert()));
  // Certificate B with key A: refused as well.
  Copy(b().path("server.pem"), cert());
  EXPECT_THAT(context->Reload().message(), HasSubstr("does not match"));

  Loopback link;
  auto server = Must(context->Accept(link.server));
  Client client(link.client, {a().path("ca.pem")});
  EXPECT_EQ(Handshake(link, client, *server), "hello");
  EXPECT_EQ(X509_cmp(client.peer().get(),
                     ReadCertificate(a().path("server.pem")).get()),
            0);
}

TEST_F(TlsTest, WritesStageWhatTheSocketRefusesAndSendEverythingInOrder) {
  auto context = Must(TlsContext::Load(cert(), key()));
  Loopback link;
  link.server.set_option(net::socket_base::send_buffer_size(4096));
  auto server = Must(context->Accept(link.server));
  Client client(link.client, {a().path("ca.pem")});
  ASSERT_EQ(Handshake(link, client, *server), "hello");

  // Frames of assorted sizes, many small ones gathered per record and a
  // few larger than a record, offered until the socket refuses.
  std::string expected;
  std::string sent_so_far;
  std::vector<std::string> frames;
  for (int i = 0; i < 4000; ++i) {
    const std::size_t size = i % 97 == 0 ? 40000 : 1 + (i * 37) % 700;
    frames.push_back(std::string(size, static_cast<char>('a' + i % 26)));
    expected += frames.back();
  }
  std::size_t next = 0;    // first frame not wholly taken
  std::size_t offset = 0;  // taken bytes of frames[next]
  bool refused = false;
  beast::error_code ec;
  auto offer = [&] {
    std::vector<net::const_buffer> buffers;
    for (std::size_t i = next; i < frames.size() && buffers.size() < 64; ++i) {
      buffers.push_back(net::buffer(frames[i]) + (i == next ? offset : 0));
    }
    std::size_t taken = server->Write(link.server, buffers, ec);
    while (taken > 0) {
      const std::size_t left = frames[next].size() - offset;
      if (taken < left) {
        offset += taken;
        break;
      }
      taken -= left;
      offset = 0;
      ++next;
    }
  };
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((next < frames.size() || server->write_pending()) &&
         std::chrono::steady_clock::now() < deadline) {
    offer();
    if (ec == net::error::would_block) {
      refused = true;
      // What was taken includes the staged record: the caller's buffers
      // may go (they are rebuilt from `frames` here anyway).
      EXPECT_TRUE(server->write_pending());
      // The client reads only once the server is stuck.
      bool failed = false;
      Await(link.client.native_handle(), POLLIN);
      received += client.ReadAvailable(nullptr, &failed);
      ASSERT_FALSE(failed);
      Await(link.server.native_handle(), POLLOUT);
    } else {
      ASSERT_FALSE(ec) << ec.message();
    }
  }
  EXPECT_TRUE(refused) << "the socket never filled: nothing was staged";
  EXPECT_FALSE(server->write_pending());
  received += client.Read(expected.size() - received.size());
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "bytes lost, repeated or reordered";
  // The kernel got records: more than the plaintext.
  EXPECT_GT(server->bytes_sent(), expected.size());
}

TEST_F(TlsTest, ShortReadLeavesThePendingRestInOpenSsl) {
  auto context = Must(TlsContext::Load(cert(), key()));
  Loopback link;
  auto server = Must(context->Accept(link.server));
  Client client(link.client, {a().path("ca.pem")});
  ASSERT_EQ(Handshake(link, client, *server), "hello");

  ASSERT_TRUE(client.Write(std::string(2000, 'x')));  // one record
  ASSERT_TRUE(Await(link.server.native_handle(), POLLIN));
  char buf[100];
  beast::error_code ec;
  std::size_t total = 0;
  // Waiting on the socket would be wrong now: it has nothing more.
  do {
    total += server->Read(link.server, absl::MakeSpan(buf), ec);
    ASSERT_FALSE(ec) << ec.message();
  } while (server->has_pending());
  EXPECT_EQ(total, 2000u);
  server->Read(link.server, absl::MakeSpan(buf), ec);
  EXPECT_EQ(ec, net::error::would_block);
  EXPECT_FALSE(server->read_waits_for_write());
}

TEST_F(TlsTest, CloseNotifyGoesBothWays) {
  auto context = Must(TlsContext::Load(cert(), key()));
  Loopback link;
  auto server = Must(context->Accept(link.server));
  Client client(link.client, {a().path("ca.pem")});
  ASSERT_EQ(Handshake(link, client, *server), "hello");

  server->Shutdown(link.server);
  bool closed = false;
  EXPECT_EQ(client.Read(1, &closed), "");
  EXPECT_TRUE(closed);

  ERR_clear_error();
  SSL_shutdown(client.ssl());
  ASSERT_TRUE(Await(link.server.native_handle(), POLLIN));
  char buf[16];
  beast::error_code ec;
  EXPECT_EQ(server->Read(link.server, absl::MakeSpan(buf), ec), 0u);
  EXPECT_EQ(ec, net::error::eof);
}

TEST_F(TlsTest, PlainHttpIsAnErrorNotAWait) {
  auto context = Must(TlsContext::Load(cert(), key()));
  Loopback link;
  auto server = Must(context->Accept(link.server));
  const std::string request = "GET /cable HTTP/1.1\r\nHost: x\r\n\r\n";
  link.client.write_some(net::buffer(request));
  ASSERT_TRUE(Await(link.server.native_handle(), POLLIN));
  char buf[16];
  beast::error_code ec;
  EXPECT_EQ(server->Read(link.server, absl::MakeSpan(buf), ec), 0u);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, net::error::would_block);
  server->Shutdown(link.server);  // nothing may be sent after the failure
}

TEST_F(TlsTest, AClosedSocketIsNeverTouched) {
  auto context = Must(TlsContext::Load(cert(), key()));
  Loopback link;
  auto server = Must(context->Accept(link.server));
  link.server.close();
  char buf[16];
  beast::error_code ec;
  EXPECT_EQ(server->Read(link.server, absl::MakeSpan(buf), ec), 0u);
  EXPECT_EQ(ec, net::error::bad_descriptor);
  std::vector<net::const_buffer> data = {net::buffer("x", 1)};
  EXPECT_EQ(server->Write(link.server, data, ec), 0u);
  EXPECT_EQ(ec, net::error::bad_descriptor);
}

}  // namespace
}  // namespace cable::gateway
