/* AES-256-GCM for KMS-encrypted sessions and the data key request. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "json.h"
#include "ssmcrypt.h"
#include "util.h"

#define NONCE_SIZE 12
#define TAG_SIZE 16

void
ssm_key_set(struct ssm_key *key, const unsigned char data_key[64])
{
	memcpy(key->from_agent, data_key, 32);
	memcpy(key->to_agent, data_key + 32, 32);
	key->set = 1;
}

void
ssm_key_clear(struct ssm_key *key)
{
	secure_zero(key, sizeof(*key));
}

static void
ssm_seal_with(const unsigned char key[32], const void *p, size_t n,
    struct buf *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char nonce[NONCE_SIZE];
	unsigned char *dst;
	int len = 0, final = 0;

	if (!c || random_bytes(nonce, sizeof(nonce)))
		die("cannot encrypt: out of memory or no randomness");
	buf_grow(out, NONCE_SIZE + n + TAG_SIZE);
	buf_add(out, nonce, NONCE_SIZE);
	dst = (unsigned char *)out->data + out->len;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_SIZE, NULL) !=
		1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, dst, &len, p, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, dst + len, &final) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_SIZE,
		dst + len + final) != 1)
		die("AES-256-GCM encryption failed in OpenSSL");
	out->len += (size_t)(len + final) + TAG_SIZE;
	out->data[out->len] = '\0';
	EVP_CIPHER_CTX_free(c);
}

static int
ssm_open_with(const unsigned char key[32], const void *blob, size_t n,
    struct buf *out)
{
	const unsigned char *b = blob;
	EVP_CIPHER_CTX *c;
	unsigned char *dst;
	size_t clen;
	int len = 0, final = 0, ok;

	if (n < NONCE_SIZE + TAG_SIZE)
		return -1;
	clen = n - NONCE_SIZE - TAG_SIZE;
	c = EVP_CIPHER_CTX_new();
	if (!c)
		die("out of memory");
	buf_grow(out, clen + 1);
	dst = (unsigned char *)out->data + out->len;
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_SIZE, NULL) ==
		1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, key, b) == 1 &&
	    EVP_DecryptUpdate(c, dst, &len, b + NONCE_SIZE, (int)clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_SIZE,
		(void *)(b + n - TAG_SIZE)) == 1 &&
	    EVP_DecryptFinal_ex(c, dst + len, &final) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -1;
	out->len += (size_t)(len + final);
	out->data[out->len] = '\0';
	return 0;
}

void
ssm_seal(const struct ssm_key *key, const void *p, size_t n, struct buf *out)
{
	ssm_seal_with(key->to_agent, p, n, out);
}

int
ssm_open(const struct ssm_key *key, const void *blob, size_t n,
    struct buf *out)
{
	return ssm_open_with(key->from_agent, blob, n, out);
}

int
ssm_key_generate(struct aws_ctx *ctx, const char *region, const char *key_id,
    const char *session_id, const char *target, const char *challenge,
    struct ssm_key *key, struct buf *ciphertext, struct buf *err)
{
	struct aws_request *req;
	jv context, in, out;
	const char *blob, *plain;
	struct buf data_key = BUF_INIT;
	int rc = -1;

	context = jv_object_set(jv_object(), jv_string("aws:ssm:SessionId"),
	    jv_string(session_id));
	context = jv_object_set(context, jv_string("aws:ssm:TargetId"),
	    jv_string(target));
	if (challenge && *challenge)
		context = jv_object_set(context,
		    jv_string("aws:ssm:RandomChallenge"), jv_string(challenge));
	in = jv_object_set(jv_object(), jv_string("KeyId"), jv_string(key_id));
	in = jv_object_set(in, jv_string("NumberOfBytes"), jv_number(64));
	in = jv_object_set(in, jv_string("EncryptionContext"), context);
	req = aws_json_request(ctx, &aws_kms, region, "GenerateDataKey", in);
	/* The response carries the plaintext data key. */
	req->secret_body = 1;
	if (aws_perform(req) < 0) {
		aws_error_format(req, err);
		aws_request_free(req);
		return -1;
	}
	out = aws_request_take_output(req);
	aws_request_free(req);
	blob = json_str(out, "CiphertextBlob");
	plain = json_str(out, "Plaintext");
	if (!blob || !plain ||
	    base64_decode(plain, strlen(plain), &data_key) < 0 ||
	    data_key.len != 64) {
		buf_adds(err, "GenerateDataKey returned no 64-byte data key");
		goto out;
	}
	ssm_key_set(key, (const unsigned char *)data_key.data);
	buf_adds(ciphertext, blob);
	rc = 0;
out:
	buf_free_secret(&data_key);
	jv_free(out);
	return rc;
}
