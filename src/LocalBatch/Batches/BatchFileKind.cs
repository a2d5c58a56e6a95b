namespace LocalBatch.Batches;

/// <summary>The files a batch keeps in its store folder.</summary>
public enum BatchFileKind
{
    /// <summary>The validated input, one request a line (<c>input_file_id</c>).</summary>
    Input,

    /// <summary>The output file: one line per request answered with a 2xx (<c>output_file_id</c>).</summary>
    Output,

    /// <summary>The error file: one line per request without a 2xx answer (<c>error_file_id</c>).</summary>
    Errors,
}
