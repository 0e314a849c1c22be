"""Asks iys-filter's RESP endpoint with redis-py, the way a Python dispatcher would (RespPythonIT runs it).

Reads questions from a file, one a line, its words separated by tabs (a recipient may hold spaces):
brand channel recipient [TYPE t] [KIND k]. Asks each three ways and prints one line per answer, for the test to compare with the index:

    single <i> <verdict> <reason> <asof> id    execute_command('IYS.CHECK', ...), one at a time
    pipeline <i> <verdict> <reason> <asof> id  all in one pipeline (transaction=False: no MULTI/EXEC)
    mcheck <i> <verdict> <reason> <asof> id    IYS.MCHECK, consecutive questions of one brand, channel, type
                                               and kind together, at most 1,000 a command
    <mode> <i> ERROR <class>:<first word>      when that question got no decision: the exception's class and
                                               the first word of its message

(the word `id` says the 4th element was a decision id, 16 hex digits; anything else there is a shape error)

then `ping <reply>`, `unknown <exception class>` for a command the endpoint does not know, and `after-unknown`
with a decision asked on the same connection afterwards (it stays usable). Exit status 0 when it ran to its end,
whatever the answers: judging them is the test's job.
"""

import argparse
import re
import sys

import redis


def read_questions(path):
    questions = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            words = line.rstrip("\n").split("\t")
            if words != [""]:
                questions.append(words)
    return questions


def show(mode, index, reply):
    if isinstance(reply, Exception):
        print(mode, index, "ERROR", type(reply).__name__ + ":" + (str(reply).split(" ") + [""])[0])
    elif isinstance(reply, list) and len(reply) == 4 and re.fullmatch("[0-9a-f]{16}", str(reply[3])):
        print(mode, index, reply[0], reply[1], reply[2], "id")
    else:
        print(mode, index, "ERROR", "shape:" + repr(reply).replace(" ", ""))


def ask_one(client, question):
    try:
        return client.execute_command("IYS.CHECK", *question)
    except redis.RedisError as failure:
        return failure


def groups(questions):
    """Consecutive questions that share brand, channel and options, as (first index, options, recipients)."""
    start = 0
    while start < len(questions):
        first = questions[start]
        head = first[:2] + first[3:]
        end = start + 1
        while end < len(questions) and end - start < 1000 and questions[end][:2] + questions[end][3:] == head:
            end += 1
        yield start, head, [question[2] for question in questions[start:end]]
        start = end


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--token-file")
    parser.add_argument("--tls-ca-file")
    parser.add_argument("questions")
    args = parser.parse_args()

    options = dict(host=args.host, port=args.port, decode_responses=True, socket_timeout=10,
                   socket_connect_timeout=10)
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as token:
            options["password"] = token.readline().strip()
        options["username"] = args.user
    if args.tls_ca_file:
        options.update(ssl=True, ssl_ca_certs=args.tls_ca_file, ssl_check_hostname=True)
    client = redis.Redis(**options)
    questions = read_questions(args.questions)

    for index, question in enumerate(questions):
        show("single", index, ask_one(client, question))

    pipe = client.pipeline(transaction=False)
    for question in questions:
        pipe.execute_command("IYS.CHECK", *question)
    try:
        replies = pipe.execute(raise_on_error=False)
    except redis.RedisError as failure:
        replies = [failure] * len(questions)
    for index, reply in enumerate(replies):
        show("pipeline", index, reply)

    for start, head, recipients in groups(questions):
        try:
            reply = client.execute_command("IYS.MCHECK", head[0], head[1], *head[2:], *recipients)
        except redis.RedisError as failure:
            reply = [failure] * len(recipients)
        if not isinstance(reply, list) or len(reply) != len(recipients):
            reply = [ValueError("MCHECK answered %r for %d recipients" % (reply, len(recipients)))] * len(recipients)
        for offset, decision in enumerate(reply):
            show("mcheck", start + offset, decision)

    try:
        print("ping", client.ping())
    except redis.RedisError as failure:
        print("ping", "ERROR", type(failure).__name__)
    connection = client.connection_pool.get_connection("_")
    try:
        connection.send_command("IYS.NOSUCH", "x")
        try:
            connection.read_response()
            print("unknown", "answered")
        except redis.ResponseError as failure:
            print("unknown", type(failure).__name__, str(failure).split(" ")[0])
        if questions:
            connection.send_command("IYS.CHECK", *questions[0])
            try:
                show("after-unknown", 0, connection.read_response())
            except redis.RedisError as failure:
                show("after-unknown", 0, failure)
    except redis.RedisError as failure:
        print("unknown", "ERROR", type(failure).__name__)
    finally:
        client.connection_pool.release(connection)
    return 0


if __name__ == "__main__":
    sys.exit(main())
