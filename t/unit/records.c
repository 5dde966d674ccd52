/* Unit tests for record kinds and ECS ARN parsing. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "records.h"
#include "tap.h"
#include "util.h"

static void
check_kind(const char *json, enum record_kind expected)
{
	jv rec = jv_parse(json);

	is_int(record_kind(rec), expected, "kind of %s", json);
	jv_free(rec);
}

int
main(void)
{
	struct ecs_arn a;
	char *s;

	check_kind("{\"kind\":\"task\",\"clusterArn\":\"x\"}", KIND_TASK);
	check_kind("{\"clusterArn\":\"arn:aws:ecs:r:1:cluster/c\"}",
	    KIND_CLUSTER);
	check_kind("{\"serviceArn\":\"s\",\"clusterArn\":\"c\"}",
	    KIND_SERVICE);
	check_kind("{\"taskArn\":\"t\",\"clusterArn\":\"c\","
		   "\"containers\":[]}",
	    KIND_TASK);
	check_kind("{\"containerArn\":\"x\",\"taskArn\":\"t\",\"name\":\"a\"}",
	    KIND_CONTAINER);
	check_kind("{\"taskDefinitionArn\":\"d\",\"family\":\"f\"}",
	    KIND_TASK_DEFINITION);
	check_kind("{\"containerInstanceArn\":\"i\",\"clusterArn\":\"c\"}",
	    KIND_CONTAINER_INSTANCE);
	check_kind("{\"name\":\"x\"}", KIND_UNKNOWN);

	ok(ecs_arn_parse("arn:aws:ecs:eu-west-1:123456789012:task/prod/"
			 "0123abcd",
	       &a) == 0,
	    "new-format task ARN parses");
	is_str(a.region, "eu-west-1", "region");
	is_str(a.account, "123456789012", "account");
	is_str(a.type, "task", "type");
	is_str(a.cluster, "prod", "cluster of a new-format task ARN");
	is_str(a.name, "0123abcd", "task id");
	ecs_arn_free(&a);
	ok(ecs_arn_parse("arn:aws:ecs:us-east-1:123456789012:task/0123abcd",
	       &a) == 0,
	    "old-format task ARN parses");
	ok(a.cluster == NULL, "old-format task ARN has no cluster");
	is_str(a.name, "0123abcd", "old-format task id");
	ecs_arn_free(&a);
	ok(ecs_arn_parse("arn:aws:ecs:us-east-1:1:cluster/c1", &a) == 0 &&
	       strcmp(a.cluster, "c1") == 0,
	    "cluster ARN names its cluster");
	ecs_arn_free(&a);
	ok(ecs_arn_parse("arn:aws:s3:::bucket/key", &a) < 0,
	    "an S3 ARN is not an ECS ARN");
	ok(ecs_arn_parse("c1", &a) < 0, "a bare name is not an ARN");
	s = arn_cluster_name("arn:aws:ecs:us-east-1:1:service/prod/web");
	is_str(s, "prod", "cluster of a service ARN");
	free(s);
	is_str(arn_short("arn:aws:ecs:us-east-1:1:task/prod/abc"), "abc",
	    "arn_short of a task ARN");
	is_str(arn_short("abc"), "abc", "arn_short of a bare id");
	s = arn_region("arn:aws-cn:ecs:cn-north-1:1:cluster/x");
	is_str(s, "cn-north-1", "region of a China ARN");
	free(s);
	return done_testing();
}
