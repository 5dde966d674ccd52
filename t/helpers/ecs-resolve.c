/* Test helper for the synchronous ECS helpers: lists the tasks of a
 * service with ecs_list_all, describes them with ecs_describe_all, and
 * prints each task ARN, then each failure as "failure ARN REASON".
 *
 *     ecs-resolve CLUSTER SERVICE */
#include <stdio.h>
#include <stdlib.h>

#include "aws.h"
#include "ecs.h"
#include "json.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct aws_options ao = {0};
	struct aws_ctx ctx;
	jv input, arns, tasks, failures;
	int i, n, status = 0;

	set_program_name(argv[0]);
	if (argc != 3)
		die_usage("usage: ecs-resolve CLUSTER SERVICE");
	ao.need_region = 1;
	aws_ctx_init(&ctx, &ao);
	input = jv_object_set(jv_object(), jv_string("cluster"),
	    jv_string(argv[1]));
	arns = ecs_list_all(&ctx, NULL, &ecs_list_tasks,
	    jv_object_set(jv_copy(input), jv_string("serviceName"),
		jv_string(argv[2])));
	if (!jv_is_valid(arns)) {
		jv_free(input);
		aws_ctx_free(&ctx);
		return 1;
	}
	printf("listed %d\n", jv_array_length(jv_copy(arns)));
	tasks = ecs_describe_all(&ctx, NULL, &ecs_describe_tasks, input, arns,
	    &failures);
	if (!jv_is_valid(tasks)) {
		status = 1;
	} else {
		n = jv_array_length(jv_copy(tasks));
		for (i = 0; i < n; i++) {
			jv t = jv_array_get(jv_copy(tasks), i);

			printf("%s\n", json_str(t, "taskArn"));
			jv_free(t);
		}
	}
	n = jv_array_length(jv_copy(failures));
	for (i = 0; i < n; i++) {
		jv f = jv_array_get(jv_copy(failures), i);

		printf("failure %s %s\n", json_str(f, "arn"),
		    json_str(f, "reason"));
		jv_free(f);
	}
	jv_free(tasks);
	jv_free(failures);
	aws_ctx_free(&ctx);
	return status;
}
