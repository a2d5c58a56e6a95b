# The baseline of `bench cpu`: a plain aiohttp loop that sends a batch file's lines, a fixed number at once, and
# writes each answer as an OpenAI batch output line. No retries, no state, no progress: the least a client can do.
# Usage: python3 aiohttp_loop.py BASE_URL INPUT.jsonl OUTPUT.jsonl CONCURRENCY
import asyncio
import json
import sys

import aiohttp


async def main(base_url, input_path, output_path, concurrency):
    with open(input_path, encoding="utf-8") as file:
        lines = [json.loads(line) for line in file if line.strip()]
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:
        async def send(line):
            async with gate:
                async with session.post(base_url.rstrip("/") + line["url"], json=line["body"]) as response:
                    body = await response.json()
                    return {"custom_id": line["custom_id"], "response": {"status_code": response.status, "body": body}}

        results = await asyncio.gather(*(send(line) for line in lines))
    with open(output_path, "w", encoding="utf-8") as file:
        for result in results:
            file.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
