namespace LocalBatch.Tests.Support;

/// <summary>Bodies captured from a real llama-server (build b9596, CPU, 4 slots), answering on 127.0.0.1.</summary>
internal static class ReferenceResponses
{
    public const string Completion = """
        {"choices":[{"text":"ulpembre genom","index":0,"logprobs":null,"finish_reason":"length"}],"created":1795843742,"model":"tiny.gguf","system_fingerprint":"b9596-18ef86ec","object":"text_completion","usage":{"completion_tokens":16,"prompt_tokens":2,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":1}},"id":"chatcmpl-Um7fjWpGo4M9HzoQpQY672RuuM9QHj9Q","timings":{"cache_n":1,"prompt_n":1,"prompt_ms":0.893,"prompt_per_token_ms":0.893,"prompt_per_second":1119.8,"predicted_n":16,"predicted_ms":5.1,"predicted_per_token_ms":0.31,"predicted_per_second":3205.1}}
        """;

    public const string Chat = """
        {"choices":[{"finish_reason":"length","index":0,"message":{"role":"assistant","content":"timestamp guardreland"}}],"created":1795843742,"model":"tiny.gguf","system_fingerprint":"b9596-18ef86ec","object":"chat.completion","usage":{"completion_tokens":16,"prompt_tokens":50,"total_tokens":66,"prompt_tokens_details":{"cached_tokens":8}},"id":"chatcmpl-abc","timings":{"prompt_n":42}}
        """;

    public const string Embeddings = """
        {"model":"tiny.gguf","object":"list","usage":{"prompt_tokens":6,"total_tokens":6},"data":[{"embedding":[0.1911,-0.2421],"index":0,"object":"embedding"},{"embedding":[0.5,0.25],"index":1,"object":"embedding"}]}
        """;

    public const string Models = """
        {"models":[{"name":"tiny.gguf"}],"object":"list","data":[{"id":"tiny.gguf","aliases":[],"tags":[],"object":"model","created":1795843743,"owned_by":"llamacpp","meta":{"vocab_type":1,"n_vocab":32000,"n_ctx":1024,"n_ctx_train":2048,"n_embd":64}}]}
        """;

    public const string Props = """
        {"default_generation_settings":{"params":{},"n_ctx":512},"total_slots":4,"model_path":"/models/tiny.gguf","chat_template":"x","build_info":"b9596-18ef86ec"}
        """;
}
