/* Unit tests for record ages, times and cluster ARNs. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "records.h"
#include "recview.h"
#include "tap.h"

static void
check_age(double seconds, const char *expected)
{
	char out[32];

	format_age(1000000.0 - seconds, 1000000.0, out, sizeof(out));
	is_str(out, expected, "age of %.1f s", seconds);
}

static void
check_cluster_arn(const char *arn, const char *cluster, const char *expected)
{
	char *got = arn_cluster_arn(arn, cluster);

	is_str(got, expected, "cluster ARN of %s with %s", arn ? arn : "NULL",
	    cluster ? cluster : "NULL");
	free(got);
}

int
main(void)
{
	jv rec;
	double t = 0;

	check_age(0, "0s");
	check_age(59.9, "59s");
	check_age(60, "1m");
	check_age(3599, "59m");
	check_age(3600, "1h");
	check_age(86399, "23h");
	check_age(86400, "1d");
	check_age(40 * 86400, "40d");
	check_age(-30, "0s");

	rec = jv_parse("{\"a\":1767225600.5,\"b\":\"2026-01-01T00:00:10Z\","
		       "\"c\":\"soon\"}");
	ok(record_time(rec, "a", &t) == 0 && t == 1767225600.5,
	    "epoch seconds");
	ok(record_time(rec, "b", &t) == 0 && t == 1767225610.0,
	    "ISO 8601 string");
	is_int(record_time(rec, "c", &t), -1, "a string that is no time");
	is_int(record_time(rec, "d", &t), -1, "a missing member");
	jv_free(rec);

	check_cluster_arn("arn:aws:ecs:eu-west-1:1:container-instance/prod/ab",
	    NULL, "arn:aws:ecs:eu-west-1:1:cluster/prod");
	check_cluster_arn("arn:aws:ecs:eu-west-1:1:container-instance/ab",
	    "prod", "arn:aws:ecs:eu-west-1:1:cluster/prod");
	check_cluster_arn("arn:aws:ecs:eu-west-1:1:task/ab", NULL,
	    "arn:aws:ecs:eu-west-1:1:cluster/default");
	check_cluster_arn("arn:aws-cn:ecs:cn-north-1:1:task/c/ab", NULL,
	    "arn:aws-cn:ecs:cn-north-1:1:cluster/c");
	check_cluster_arn("nonsense", "arn:aws:ecs:r:1:cluster/x",
	    "arn:aws:ecs:r:1:cluster/x");
	check_cluster_arn("nonsense", "x", NULL);

	rec = record_with_kind("task", jv_parse("{\"taskArn\":\"t\",\"b\":1}"));
	{
		struct buf b = BUF_INIT;

		json_dump(rec, &b);
		is_str(b.data, "{\"kind\":\"task\",\"taskArn\":\"t\",\"b\":1}",
		    "kind comes first");
		buf_free(&b);
	}
	jv_free(rec);
	return done_testing();
}
