/* Unit tests for data channel message encoding, with byte vectors that
 * the reference client's own serializer produces. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ssmmsg.h"
#include "tap.h"
#include "util.h"

/* CreatedDate of every vector: 2023-11-14T22:13:20Z in milliseconds. */
#define CREATED 1700000000000ULL

static const char input_ls_hex[] =
    "00000074696e7075745f73747265616d5f64617461202020202020202020202020"
    "202020000000010000018bcfe5680000000000000000000000000000000000112233"
    "4455667788123456789abcdef0e9fe7e88e89d532379960402db8f9458194dae772a"
    "a5fda5a12806c22215f0ff00000001000000036c730a";

static const char size_hex[] =
    "00000074696e7075745f73747265616d5f64617461202020202020202020202020"
    "202020000000010000018bcfe56800000000000000000100000000000000008fedcb"
    "a987654321fedcba9876544321edf7359c89077b608a6b3e8b19e63bbfc7aa724989"
    "a05ea371a9966a6e9db7cc00000003000000167b22636f6c73223a3132302c22726f"
    "7773223a34307d";

/* The 120 header bytes of an acknowledgement of output sequence 5. */
static const char ack_header_hex[] =
    "000000746163"
    "6b6e6f776c6564676520202020202020202020202020202020202020202000000001"
    "0000018bcfe56800000000000000000000000000000000038899aabbccddeeff0011"
    "2233445546779b42504e51264bd43d4091ba78723c1f152b1462911f50b637372c81"
    "3552f1c900000000000000b0";

static const char ack_payload[] =
    "{\"AcknowledgedMessageType\":\"output_stream_data\","
    "\"AcknowledgedMessageId\":\"0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\","
    "\"AcknowledgedMessageSequenceNumber\":5,\"IsSequentialMessage\":true}";

/* Header of a channel_closed as the service sends it: header length 112,
 * NUL padding, no PayloadType, PayloadLength 310 at offset 112. */
static const char closed_header_hex[] =
    "000000706368616e6e656c5f636c6f7365640000000000000000000000000000"
    "00000000000000010000018bcfe5680000000000000000000000000000000003"
    "8dddeeeeeeeeeeeeaaaaaaaabbbb4ccce8ed744294d2cd1622fe0073d5497cf8"
    "83117f4375ef04437d2072ea98c3fa0d00000136";

static void
from_hex(const char *hex, struct buf *out)
{
	size_t i, n = strlen(hex);

	for (i = 0; i + 1 < n; i += 2) {
		char byte[3] = {hex[i], hex[i + 1], '\0'};

		buf_addc(out, (char)strtoul(byte, NULL, 16));
	}
}

static void
test_encode_vectors(void)
{
	struct buf got = BUF_INIT, want = BUF_INIT;
	unsigned char id[16];

	ssm_uuid_parse("12345678-9abc-def0-1122-334455667788", id);
	ssm_msg_encode(&got, SSM_INPUT, 0, 0, id, CREATED,
	    SSM_PAYLOAD_OUTPUT, "ls\n", 3);
	from_hex(input_ls_hex, &want);
	is_int((long long)got.len, 123, "input_stream_data is 123 bytes");
	ok(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
	    "input_stream_data of \"ls\\n\" matches the reference bytes");

	buf_reset(&got);
	buf_reset(&want);
	ssm_uuid_parse("fedcba98-7654-4321-8fed-cba987654321", id);
	ssm_msg_encode(&got, SSM_INPUT, 1, 0, id, CREATED, SSM_PAYLOAD_SIZE,
	    "{\"cols\":120,\"rows\":40}", 22);
	from_hex(size_hex, &want);
	ok(got.len == 142 && got.len == want.len &&
	       memcmp(got.data, want.data, got.len) == 0,
	    "Size message matches the reference bytes");

	buf_reset(&got);
	buf_reset(&want);
	ssm_uuid_parse("00112233-4455-4677-8899-aabbccddeeff", id);
	{
		struct buf payload = BUF_INIT;
		unsigned char acked[16];

		ssm_uuid_parse("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", acked);
		ssm_ack_json(&payload, SSM_OUTPUT, acked, 5);
		is_str(payload.data, ack_payload, "acknowledge JSON");
		ssm_msg_encode(&got, SSM_ACK, 0, SSM_FLAG_SYN | SSM_FLAG_FIN,
		    id, CREATED, SSM_PAYLOAD_NONE, payload.data, payload.len);
		buf_free(&payload);
	}
	from_hex(ack_header_hex, &want);
	buf_add(&want, ack_payload, strlen(ack_payload));
	is_int((long long)got.len, 296, "acknowledge is 296 bytes");
	ok(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
	    "acknowledge matches the reference bytes");

	buf_free(&got);
	buf_free(&want);
}

static void
test_parse_input(void)
{
	struct buf frame = BUF_INIT;
	struct ssm_msg m;
	const char *why = NULL;
	char id[37];

	from_hex(input_ls_hex, &frame);
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == 0,
	    "reference input_stream_data parses");
	is_str(m.type, "input_stream_data", "type without padding");
	is_int(m.header_length, 116, "header length");
	is_int((long long)m.created_ms, (long long)CREATED, "creation date");
	is_int(m.sequence_number, 0, "sequence number");
	is_int(m.payload_type, SSM_PAYLOAD_OUTPUT, "payload type");
	is_int((long long)m.payload_len, 3, "payload length");
	ok(memcmp(m.payload, "ls\n", 3) == 0, "payload bytes");
	ssm_uuid_format(m.message_id, id);
	is_str(id, "12345678-9abc-def0-1122-334455667788",
	    "message id halves swapped back");
	ok(ssm_msg_needs_digest(&m) && ssm_msg_digest_ok(&m),
	    "digest verified");
	ok(ssm_msg_length_ok(&m), "length field agrees");

	frame.data[frame.len - 1] ^= 1;
	ssm_msg_parse(frame.data, frame.len, &m, &why);
	ok(!ssm_msg_digest_ok(&m), "changed payload fails the digest");

	ok(ssm_msg_parse(frame.data, 100, &m, &why) == -1,
	    "truncated frame rejected");
	frame.data[3] = 111;
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == -1,
	    "header length below 112 rejected");
	frame.data[3] = (char)250;
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == -1,
	    "header length past the frame rejected");
	frame.data[3] = 116;
	/* "input_stream_data" padded with NULs, then a stray byte. */
	memset(frame.data + 4 + 17, '\0', 15);
	frame.data[4 + 30] = 'x';
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == -1,
	    "type with a NUL before more bytes rejected");
	frame.data[4 + 30] = '\0';
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == 0,
	    "type padded with NULs accepted");
	is_str(m.type, "input_stream_data", "NUL padding removed");
	buf_free(&frame);
}

static void
test_parse_channel_closed(void)
{
	static const char payload[] =
	    "{\"MessageId\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\","
	    "\"CreatedDate\":\"2023-11-14T22:13:20.000Z\","
	    "\"DestinationId\":\"ecs:c_t_r\","
	    "\"SessionId\":\"ecs-execute-command-0123456789abcdef0\","
	    "\"MessageType\":\"channel_closed\",\"SchemaVersion\":1,"
	    "\"Output\":\"Your session timed out due to inactivity and has "
	    "been terminated.\"}";
	struct buf frame = BUF_INIT;
	struct ssm_msg m;
	const char *why = NULL;
	char id[37], *output, *session;

	from_hex(closed_header_hex, &frame);
	buf_add(&frame, payload, strlen(payload));
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == 0,
	    "channel_closed with header length 112 parses");
	is_str(m.type, "channel_closed", "NUL padding removed");
	is_int(m.header_length, 112, "short header length kept");
	is_int(m.payload_type, 0, "no payload type field");
	is_int(m.payload_length, 310, "PayloadLength read at offset 112");
	is_int((long long)m.payload_len, (long long)strlen(payload),
	    "payload starts at offset 116");
	is_int((long long)m.flags, 3, "flags");
	ssm_uuid_format(m.message_id, id);
	is_str(id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "message id");
	ok(ssm_channel_closed_parse(m.payload, m.payload_len, &output,
	       &session) == 0,
	    "channel_closed payload parses");
	is_str(output,
	    "Your session timed out due to inactivity and has been "
	    "terminated.",
	    "Output");
	is_str(session, "ecs-execute-command-0123456789abcdef0", "SessionId");
	free(output);
	free(session);
	buf_free(&frame);
}

static void
test_publication_not_checked(void)
{
	struct buf frame = BUF_INIT;
	struct ssm_msg m;
	const char *why;
	unsigned char id[16];

	ssm_uuid_random(id);
	ssm_msg_encode(&frame, SSM_PAUSE_PUBLICATION, 0, 3, id, CREATED, 0,
	    "{}", 2);
	/* The service writes a wrong length and digest here. */
	frame.data[117] = 9;
	frame.data[90] ^= 0x55;
	ok(ssm_msg_parse(frame.data, frame.len, &m, &why) == 0,
	    "pause_publication with a wrong length parses");
	ok(!ssm_msg_needs_digest(&m), "pause_publication digest not checked");
	buf_free(&frame);
}

static void
test_json_helpers(void)
{
	struct buf b = BUF_INIT;
	int64_t seq = -1;
	int code = -1;
	unsigned char id[16];
	struct ssm_action_result actions[2] = {
	    {"SessionType", SSM_ACTION_SUCCESS, NULL, ""},
	    {"Frobnicate", SSM_ACTION_UNSUPPORTED, NULL, "unknown action"},
	};

	ok(ssm_ack_parse(ack_payload, strlen(ack_payload), &seq) == 0,
	    "acknowledge payload parses");
	is_int(seq, 5, "acknowledged sequence number");
	ok(ssm_ack_parse("{}", 2, &seq) == -1, "acknowledge without a number");
	{
		static const char huge[] =
		    "{\"AcknowledgedMessageSequenceNumber\":1e300}";
		static const char negative[] =
		    "{\"AcknowledgedMessageSequenceNumber\":-1e19}";

		ok(ssm_ack_parse(huge, strlen(huge), &seq) == -1,
		    "acknowledge with a number past int64_t rejected");
		ok(ssm_ack_parse(negative, strlen(negative), &seq) == -1,
		    "acknowledge with a number below int64_t rejected");
	}

	ssm_size_json(&b, 80, 24);
	is_str(b.data, "{\"cols\":80,\"rows\":24}", "Size JSON");
	buf_reset(&b);

	ssm_handshake_response_json(&b, "1.2.804.0", actions, 2);
	is_str(b.data,
	    "{\"ClientVersion\":\"1.2.804.0\",\"ProcessedClientActions\":["
	    "{\"ActionType\":\"SessionType\",\"ActionStatus\":1,"
	    "\"ActionResult\":null,\"Error\":\"\"},"
	    "{\"ActionType\":\"Frobnicate\",\"ActionStatus\":3,"
	    "\"ActionResult\":null,\"Error\":\"unknown action\"}],"
	    "\"Errors\":null}",
	    "HandshakeResponse JSON");
	buf_reset(&b);

	ssm_open_json(&b, "tok\"en", "0d2e0000-0000-4000-8000-000000000000",
	    "1.2.804.0");
	ok(strstr(b.data, "\"TokenValue\":\"tok\\\"en\"") != NULL,
	    "token escaped in the first frame");
	ok(strstr(b.data, "\"MessageSchemaVersion\":\"1.0\"") != NULL,
	    "first frame schema version");
	buf_free(&b);

	ok(ssm_exit_code_parse("EXIT_CODE: 3", 12, &code) == 0 && code == 3,
	    "EXIT_CODE parses");
	ok(ssm_exit_code_parse("EXIT_CODE: x", 12, &code) == -1,
	    "bad EXIT_CODE rejected");

	ok(ssm_uuid_parse("12345678-9ABC-def0-1122-334455667788", id) == 0,
	    "upper-case UUID parses");
	ok(ssm_uuid_parse("12345678-9abc-def0-1122-33445566778", id) == -1,
	    "short UUID rejected");
	ssm_uuid_random(id);
	is_int(id[6] >> 4, 4, "random UUID is version 4");
}

int
main(void)
{
	test_encode_vectors();
	test_parse_input();
	test_parse_channel_closed();
	test_publication_not_checked();
	test_json_helpers();
	return done_testing();
}
