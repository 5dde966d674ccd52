/* KMS encryption of Session Manager sessions: the data key from
 * kms:GenerateDataKey and AES-256-GCM on stream payloads.
 *
 * A session key contains two 32-byte keys cut from the 64-byte data key:
 * bytes 0-31 decrypt what the agent sends, bytes 32-63 encrypt what the
 * client sends. A sealed payload is nonce (12 bytes), ciphertext, tag
 * (16 bytes), with no associated data. The struct holds secrets: clear it
 * with ssm_key_clear. */
#ifndef ECS_SSMCRYPT_H
#define ECS_SSMCRYPT_H

#include <stddef.h>

#include "aws.h"
#include "buf.h"

#define SSM_SEAL_OVERHEAD 28

struct ssm_key {
	unsigned char from_agent[32];
	unsigned char to_agent[32];
	int set;
};

/* Calls kms:GenerateDataKey for 64 bytes with the session's encryption
 * context (session id, target, and the agent's challenge when it sent
 * one). Fills key and appends the base64 CiphertextBlob to ciphertext.
 * Returns 0, or -1 with the reason in err. */
int ssm_key_generate(struct aws_ctx *ctx, const char *region,
    const char *key_id, const char *session_id, const char *target,
    const char *challenge, struct ssm_key *key, struct buf *ciphertext,
    struct buf *err);
/* Sets the key from a 64-byte data key. */
void ssm_key_set(struct ssm_key *key, const unsigned char data_key[64]);
void ssm_key_clear(struct ssm_key *key);

/* Appends the sealed form of p to out, with the client-to-agent key. */
void ssm_seal(const struct ssm_key *key, const void *p, size_t n,
    struct buf *out);
/* Appends the plaintext of a blob from the agent. Returns 0, or -1 when
 * the blob is too short or fails authentication. */
int ssm_open(const struct ssm_key *key, const void *blob, size_t n,
    struct buf *out);

#endif
