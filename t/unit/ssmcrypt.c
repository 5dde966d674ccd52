/* Unit tests for the AES-256-GCM sealing of KMS-encrypted sessions. */
#include <string.h>

#include "ssmcrypt.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	unsigned char data_key[64];
	struct ssm_key client, agent;
	struct buf sealed = BUF_INIT, plain = BUF_INIT;
	static const char text[] = "ls -l\r";
	int i;

	for (i = 0; i < 64; i++)
		data_key[i] = (unsigned char)i;
	ssm_key_set(&client, data_key);
	/* The agent's view: its sending key is the client's receiving key. */
	memcpy(agent.from_agent, data_key + 32, 32);
	memcpy(agent.to_agent, data_key, 32);
	agent.set = 1;

	ssm_seal(&client, text, strlen(text), &sealed);
	is_int((long long)sealed.len, (long long)strlen(text) + SSM_SEAL_OVERHEAD,
	    "sealing adds nonce and tag");
	ok(ssm_open(&agent, sealed.data, sealed.len, &plain) == 0,
	    "the agent opens what the client sealed");
	is_str(plain.data, text, "the plaintext comes back");

	buf_reset(&plain);
	ok(ssm_open(&client, sealed.data, sealed.len, &plain) == -1,
	    "the client's own key does not open its output");
	sealed.data[sealed.len - 1] ^= 1;
	ok(ssm_open(&agent, sealed.data, sealed.len, &plain) == -1,
	    "a changed tag fails authentication");
	ok(ssm_open(&agent, sealed.data, 27, &plain) == -1,
	    "a blob shorter than nonce and tag is rejected");

	buf_reset(&sealed);
	buf_reset(&plain);
	ssm_seal(&agent, "", 0, &sealed);
	ok(ssm_open(&client, sealed.data, sealed.len, &plain) == 0 &&
	       plain.len == 0,
	    "an empty payload seals and opens");

	ssm_key_clear(&client);
	ok(!client.set, "clearing forgets the key");
	buf_free(&sealed);
	buf_free(&plain);
	return done_testing();
}
