/* Unit tests of totp, passphrase, enrolment codes, session cookies and login names: the sign-in's parts. */
#include "config.h"
#include "passphrase.h"
#include "sessions.h"
#include "test.h"
#include "token.h"
#include "totp.h"

#include <stdlib.h>

/* RFC 6238 appendix B's SHA-1 key "12345678901234567890" in base32 */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

TEST(totp_matches_rfc6238_vectors)
{
	/* the RFC's eight-digit codes, of which an app shows the last six */
	CHECK_INT(totp_code(RFC_SECRET, 59 / 30), 287082);
	CHECK_INT(totp_code(RFC_SECRET, 1111111109 / 30), 81804);
	CHECK_INT(totp_code(RFC_SECRET, 1111111111 / 30), 50471);
	CHECK_INT(totp_code(RFC_SECRET, 1234567890 / 30), 5924);
	CHECK_INT(totp_code(RFC_SECRET, 2000000000 / 30), 279037);
	CHECK_INT(totp_code("not base32!", 1), -1);
	CHECK_INT(totp_code("", 1), -1);
}

TEST(totp_accepts_one_step_of_drift_and_nothing_else)
{
	int64_t now = 1111111111, step = now / 30;
	char code[16];
	snprintf(code, sizeof(code), "%06d", totp_code(RFC_SECRET, step));
	CHECK_INT(totp_match(RFC_SECRET, code, now), step);
	snprintf(code, sizeof(code), "%06d", totp_code(RFC_SECRET, step - 1));
	CHECK_INT(totp_match(RFC_SECRET, code, now), step - 1);
	snprintf(code, sizeof(code), "%06d", totp_code(RFC_SECRET, step + 2));
	CHECK_INT(totp_match(RFC_SECRET, code, now), 0);
	snprintf(code, sizeof(code), "%03d %03d", totp_code(RFC_SECRET, step) / 1000, totp_code(RFC_SECRET, step) % 1000);
	CHECK_INT(totp_match(RFC_SECRET, code, now), step);
	CHECK_INT(totp_match(RFC_SECRET, "12345", now), 0);
	CHECK_INT(totp_match(RFC_SECRET, "1234567", now), 0);
	CHECK_INT(totp_match(RFC_SECRET, "12a456", now), 0);
}

TEST(totp_secrets_are_new_base32_and_the_uri_is_encoded)
{
	char *a = totp_secret_new(), *b = totp_secret_new();
	CHECK_INT(strlen(a), TOTP_SECRET_CHARS);
	CHECK(strcmp(a, b) != 0);
	CHECK(totp_code(a, 1) >= 0);
	char *uri = totp_uri("tsunagu 釜石", "sato", "ABC");
	CHECK_STR(uri, "otpauth://totp/tsunagu%20%E9%87%9C%E7%9F%B3:sato?secret=ABC&issuer=tsunagu%20%E9%87%9C%E7%9F%B3"
		       "&algorithm=SHA1&digits=6&period=30");
	free(uri);
	free(a);
	free(b);
}

TEST(passphrases_verify_only_themselves)
{
	char *h = passphrase_hash("うみねこ と かもめ 2026");
	CHECK(h != NULL);
	CHECK(!strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31));
	CHECK(passphrase_verify(h, "うみねこ と かもめ 2026"));
	CHECK(!passphrase_verify(h, "うみねこ と かもめ 2027"));
	CHECK(!passphrase_verify("$2b$10$abc", "x"));
	CHECK(!passphrase_verify(NULL, "x"));
	char *again = passphrase_hash("うみねこ と かもめ 2026");
	CHECK(strcmp(h, again) != 0); /* a fresh salt each time */
	free(again);
	free(h);
}

TEST(enrolment_codes_are_read_as_people_type_them)
{
	char *code = token_enrolment_code();
	CHECK_INT(strlen(code), 19);
	CHECK(code[4] == '-' && code[9] == '-' && code[14] == '-');
	char a[TOKEN_HASH_HEX], b[TOKEN_HASH_HEX];
	token_code_hash("AB0C-1DEF-GH1J-KMNP", a);
	token_code_hash("abOc 1def ghij kmnp", b);
	CHECK_STR(a, b);
	token_code_hash("ab0c1defgh1jkmnq", b);
	CHECK(strcmp(a, b) != 0);
	free(code);
}

TEST(session_cookies_are_read_strictly)
{
	struct config http = { .public_url = "http://127.0.0.1:8080" }, https = { .public_url = "https://tsunagu.example.lg.jp" };
	char *v = sessions_cookie_from(&http, "a=1; tsunagu_session=tsu_AbC-_09; tsunagu_lang=en");
	CHECK_STR(v, "tsu_AbC-_09");
	free(v);
	v = sessions_cookie_from(&http, "tsunagu_session=abc ");
	CHECK_STR(v, "abc");
	free(v);
	CHECK(sessions_cookie_from(&http, NULL) == NULL);
	CHECK(sessions_cookie_from(&http, "") == NULL);
	CHECK(sessions_cookie_from(&http, "tsunagu_session=") == NULL);
	CHECK(sessions_cookie_from(&http, "xtsunagu_session=abc") == NULL);
	CHECK(sessions_cookie_from(&http, "tsunagu_sessionx=abc") == NULL);
	CHECK(sessions_cookie_from(&http, "tsunagu_session=a\"b") == NULL);
	CHECK(sessions_cookie_from(&http, "tsunagu_session=a%20b") == NULL);
	/* one planted beside ours (another path, a sibling domain) makes it no session at all */
	CHECK(sessions_cookie_from(&http, "tsunagu_session=abc; tsunagu_session=def") == NULL);
	char long_value[128] = "tsunagu_session=";
	memset(long_value + 16, 'a', 80);
	long_value[96] = '\0';
	CHECK(sessions_cookie_from(&http, long_value) == NULL);
	/* behind https the cookie has the __Host- prefix, and only that one counts */
	CHECK(sessions_cookie_from(&https, "tsunagu_session=abc") == NULL);
	v = sessions_cookie_from(&https, "tsunagu_session=abc; __Host-tsunagu_session=def");
	CHECK_STR(v, "def");
	free(v);
	char *set = sessions_cookie_header(&https, "def");
	CHECK_STR(set, "__Host-tsunagu_session=def; Path=/; HttpOnly; SameSite=Strict; Secure");
	free(set);
	set = sessions_cookie_header(&http, NULL);
	CHECK_STR(set, "tsunagu_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	free(set);
}

TEST(login_names_are_plain)
{
	CHECK(config_login_valid("sato"));
	CHECK(config_login_valid("t.sato-2_x"));
	CHECK(!config_login_valid("so"));
	CHECK(!config_login_valid("Sato"));
	CHECK(!config_login_valid("1sato"));
	CHECK(!config_login_valid("sa to"));
	CHECK(!config_login_valid("さとう"));
	char long_name[80];
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CHECK(!config_login_valid(long_name));
}
