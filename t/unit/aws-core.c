/* Unit tests for AWS error parsing, endpoint resolution, XML lookup and
 * ordered output. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "json.h"
#include "ordered.h"
#include "tap.h"
#include "util.h"
#include "xml.h"

static void
check_error(const char *body, const char *header, long status,
    const char *code, const char *message, const char *name)
{
	struct aws_error e;

	memset(&e, 0, sizeof(e));
	aws_parse_error(body, strlen(body), header, status, &e);
	is_str(e.code, code, "%s: code", name);
	is_str(e.message, message, "%s: message", name);
	aws_error_clear(&e);
}

static void
test_errors(void)
{
	check_error("{\"__type\":\"ClusterNotFoundException\","
		    "\"message\":\"Cluster not found.\"}",
	    NULL, 400, "ClusterNotFoundException", "Cluster not found.",
	    "plain JSON error");
	check_error("{\"__type\":\"com.amazonaws.ecs#AccessDeniedException\","
		    "\"Message\":\"no\"}",
	    NULL, 400, "AccessDeniedException", "no",
	    "JSON error with namespace and Message");
	check_error("{\"__type\":\"ThrottlingException:http://internal."
		    "amazon.com/coral/\",\"message\":\"Rate exceeded\"}",
	    NULL, 400, "ThrottlingException", "Rate exceeded",
	    "JSON error with a URL suffix");
	check_error("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
		    "2011-06-15/\"><Error><Type>Sender</Type><Code>"
		    "SignatureDoesNotMatch</Code><Message>The request "
		    "signature we calculated does not match &amp; more"
		    "</Message></Error><RequestId>r1</RequestId>"
		    "</ErrorResponse>",
	    NULL, 403, "SignatureDoesNotMatch",
	    "The request signature we calculated does not match & more",
	    "XML ErrorResponse");
	check_error("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
		    "<Message>gone</Message></Error>",
	    NULL, 404, "NoSuchKey", "gone", "S3 XML error");
	check_error("", "ServiceUnavailableException:http://x", 503,
	    "ServiceUnavailableException", "", "code from the header");
	check_error("Bad Gateway\n", NULL, 502, "HTTP502", "Bad Gateway",
	    "plain text body");
	check_error("{\"message\":\"only a message\"}", NULL, 500, "HTTP500",
	    "only a message", "JSON without a code");
	check_error("<Error><Message/></Error>", NULL, 403, "HTTP403", "",
	    "XML error with an empty Message element");
	check_error("<Error><Code></Code><Message/><RequestId/></Error>", NULL,
	    400, "HTTP400", "", "XML error with every element empty");
	{
		static const char body[] = "<Error><Code>Bad \0x</Code></Error>";
		struct aws_error e;

		memset(&e, 0, sizeof(e));
		aws_parse_error(body, sizeof(body) - 1, NULL, 400, &e);
		is_str(e.code, "Bad", "XML error code ends at a NUL byte");
		aws_error_clear(&e);
	}
	ok(aws_error_is_throttling("ThrottlingException") &&
	       aws_error_is_throttling("SlowDown") &&
	       !aws_error_is_throttling("AccessDeniedException"),
	    "throttling codes");
}

static void
write_text(const char *path, const char *text)
{
	if (write_file_atomic(path, text, strlen(text), 0600) < 0)
		diag("cannot write %s", path);
}

static char *
endpoint_for(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region)
{
	struct buf err = BUF_INIT;
	char *url = aws_endpoint(ctx, svc, region, &err);

	if (!url) {
		url = xasprintf("error: %s", err.data);
	}
	buf_free(&err);
	return url;
}

static void
unset_endpoint_env(void)
{
	static const char *const names[] = {"AWS_ENDPOINT_URL",
	    "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
	    "AWS_ENDPOINT_URL_STS", "AWS_USE_FIPS_ENDPOINT",
	    "AWS_USE_DUALSTACK_ENDPOINT", "AWS_STS_REGIONAL_ENDPOINTS",
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE",
	    "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", NULL};
	size_t i;

	for (i = 0; names[i]; i++)
		unsetenv(names[i]);
}

static void
test_endpoints(void)
{
	char dir[] = "/tmp/ecs-aws-core-XXXXXX";
	struct aws_options o;
	struct aws_ctx ctx;
	char *cfg, *url;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	cfg = xasprintf("%s/config", dir);
	write_text(cfg, "[default]\nregion = eu-west-1\n"
			"[profile local]\nregion = us-east-1\n"
			"services = dev\n"
			"endpoint_url = http://127.0.0.1:9999\n"
			"[services dev]\n"
			"ecs =\n  endpoint_url = http://127.0.0.1:7777\n"
			"[profile broken]\nservices = missing\n");
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	unset_endpoint_env();
	memset(&o, 0, sizeof(o));

	aws_ctx_init(&ctx, &o);
	is_str(ctx.region, "eu-west-1", "region from the default profile");
	url = endpoint_for(&ctx, &aws_ecs, ctx.region);
	is_str(url, "https://ecs.eu-west-1.amazonaws.com", "regional default");
	free(url);
	url = endpoint_for(&ctx, &aws_logs, "cn-north-1");
	is_str(url, "https://logs.cn-north-1.amazonaws.com.cn",
	    "China partition");
	free(url);
	setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
	url = endpoint_for(&ctx, &aws_ecs, "us-west-2");
	is_str(url, "https://ecs-fips.us-west-2.amazonaws.com", "FIPS host");
	free(url);
	unsetenv("AWS_USE_FIPS_ENDPOINT");
	setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy", 1);
	url = endpoint_for(&ctx, &aws_sts, "eu-west-1");
	is_str(url, "https://sts.amazonaws.com", "legacy global STS");
	free(url);
	unsetenv("AWS_STS_REGIONAL_ENDPOINTS");
	url = endpoint_for(&ctx, &aws_sts, "eu-west-1");
	is_str(url, "https://sts.eu-west-1.amazonaws.com", "regional STS");
	free(url);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111", 1);
	url = endpoint_for(&ctx, &aws_ecs, ctx.region);
	is_str(url, "http://127.0.0.1:1111", "AWS_ENDPOINT_URL");
	free(url);
	setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:2222", 1);
	url = endpoint_for(&ctx, &aws_logs, ctx.region);
	is_str(url, "http://127.0.0.1:2222",
	    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS beats AWS_ENDPOINT_URL");
	free(url);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	url = endpoint_for(&ctx, &aws_logs, ctx.region);
	is_str(url, "https://logs.eu-west-1.amazonaws.com",
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	free(url);
	aws_ctx_free(&ctx);
	unset_endpoint_env();
	unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");

	o.profile = "local";
	aws_ctx_init(&ctx, &o);
	url = endpoint_for(&ctx, &aws_ecs, ctx.region);
	is_str(url, "http://127.0.0.1:7777", "services section for ecs");
	free(url);
	url = endpoint_for(&ctx, &aws_logs, ctx.region);
	is_str(url, "http://127.0.0.1:9999", "profile endpoint_url");
	free(url);
	aws_ctx_free(&ctx);

	o.profile = "broken";
	aws_ctx_init(&ctx, &o);
	url = endpoint_for(&ctx, &aws_ecs, "us-east-1");
	ok(strstr(url, "no [services missing] section") != NULL,
	    "missing services section is an error naming it");
	free(url);
	aws_ctx_free(&ctx);

	o.profile = NULL;
	o.endpoint_url = "http://127.0.0.1:3333";
	aws_ctx_init(&ctx, &o);
	url = endpoint_for(&ctx, &aws_logs, ctx.region);
	is_str(url, "http://127.0.0.1:3333", "--endpoint-url wins");
	free(url);
	aws_ctx_free(&ctx);

	unlink(cfg);
	rmdir(dir);
	free(cfg);
}

static void
test_xml(void)
{
	static const char doc[] =
	    "<R><a:Item><Key>k1</Key></a:Item><Item><Key>k&lt;2&#x41;"
	    "</Key></Item><Empty/></R>";
	struct buf b = BUF_INIT;
	size_t pos = 0, n;
	const char *inner;
	int count = 0;

	while (xml_find(doc, sizeof(doc) - 1, &pos, "Item", &inner, &n))
		count++;
	is_int(count, 2, "xml_find visits each element");
	ok(xml_text(doc, sizeof(doc) - 1, "Key", &b) &&
	       strcmp(b.data, "k1") == 0,
	    "xml_text finds the first");
	buf_reset(&b);
	pos = 0;
	xml_find(doc, sizeof(doc) - 1, &pos, "Item", &inner, &n);
	xml_find(doc, sizeof(doc) - 1, &pos, "Item", &inner, &n);
	xml_text(inner, n, "Key", &b);
	is_str(b.data, "k<2A", "entities and character references");
	buf_reset(&b);
	ok(xml_text(doc, sizeof(doc) - 1, "Empty", &b) && b.len == 0,
	    "self-closing element is empty");
	buf_free(&b);
	ok(xml_text(doc, sizeof(doc) - 1, "Empty", &b) && b.data &&
	       b.data[0] == '\0',
	    "empty element in a new buffer gives an empty string");
	buf_free(&b);
	xml_decode("a&#xD800;b&#57343;c", 19, &b);
	is_str(b.data, "a&#xD800;b&#57343;c",
	    "surrogate character references stay as written");
	buf_free(&b);
	pos = 0;
	ok(!xml_find("<R><Item>a</Item", 16, &pos, "Item", &inner, &n) &&
	       pos == 0,
	    "close tag cut off before its '>' ends no element");
}

static void
collect(jv rec, void *data)
{
	struct buf *b = data;

	buf_addf(b, "%d,", (int)jv_number_value(rec));
	jv_free(rec);
}

static jv
nums(int a, int b)
{
	return jv_array_append(jv_array_append(jv_array(), jv_number(a)),
	    jv_number(b));
}

static void
test_ordered(void)
{
	struct buf b = BUF_INIT;
	struct ordered o;
	struct ordered_node *g1, *g2, *s1, *s2, *s3;

	ordered_init(&o, collect, &b);
	g1 = ordered_group(ordered_root(&o));
	g2 = ordered_group(ordered_root(&o));
	s1 = ordered_slot(g1);
	s2 = ordered_slot(g1);
	s3 = ordered_slot(g2);
	ordered_close(&o, ordered_root(&o));
	ordered_fill(&o, s3, nums(5, 6));
	ordered_fill(&o, s2, nums(3, 4));
	is_str(b.data ? b.data : "", "", "nothing before the first slot");
	ordered_fill(&o, s1, nums(1, 2));
	is_str(b.data, "1,2,3,4,", "first group streams when ready");
	ordered_close(&o, g2);
	ok(!ordered_flush(&o), "an open group holds back the rest");
	ordered_close(&o, g1);
	is_str(b.data, "1,2,3,4,5,6,", "all records in slot order");
	ok(ordered_flush(&o), "done");
	ordered_free(&o);
	buf_free(&b);
}

int
main(void)
{
	test_errors();
	test_endpoints();
	test_xml();
	test_ordered();
	return done_testing();
}
