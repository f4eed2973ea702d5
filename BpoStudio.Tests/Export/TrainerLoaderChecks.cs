using System.Text.Json;
using BpoStudio.Core.Storage;

namespace BpoStudio.Tests.Export;

/// <summary>
/// The rules the trainers' loaders enforce (docs/formats.md), restated independently of the exporter so a file the
/// exporter believes valid is checked by a second reading. Each returns the number of records checked.
/// </summary>
public static class TrainerLoaderChecks
{
    public static int Trl(string folder, string file) => EachLine(folder, file, (record, where) =>
    {
        Assert.Equal(["chosen", "images", "prompt", "rejected"], record.EnumerateObject().Select(p => p.Name).Order());
        ConversationalWithImages(folder, record, where, "chosen", "rejected");
    });

    /// <summary>
    /// KTOTrainer's unpaired preference rows: <c>prompt</c>, <c>completion</c>, boolean <c>label</c> and the
    /// <c>images</c> list its vision collator reads (prepare_multimodal_messages on the prompt, the processor on both).
    /// </summary>
    public static (int Desirable, int Undesirable) Kto(string folder, string file)
    {
        var (desirable, undesirable) = (0, 0);
        EachLine(folder, file, (record, where) =>
        {
            Assert.Equal(["completion", "images", "label", "prompt"], record.EnumerateObject().Select(p => p.Name).Order());
            ConversationalWithImages(folder, record, where, "completion");
            Assert.Single(record.GetProperty("completion").EnumerateArray());
            var label = record.GetProperty("label");
            Assert.True(label.ValueKind is JsonValueKind.True or JsonValueKind.False, $"{where}: label must be a boolean");
            if (label.GetBoolean()) desirable++;
            else undesirable++;
        });
        return (desirable, undesirable);
    }

    /// <summary>
    /// Rows whose KL completion answers their own prompt, as KTOTrainer builds the KL term: in file order, in groups of
    /// the batch size, <c>batch["completion_ids"] = [batch["completion_ids"][-1]] + batch["completion_ids"][:-1]</c>
    /// (kto_trainer.py, <c>_get_kl_dataset</c>, mapped with <c>batched=True, batch_size=args.per_device_train_batch_size</c>).
    /// </summary>
    public static int KlRowsOnTheirOwnPrompt(string folder, string file, int batchSize)
    {
        var prompts = File.ReadLines(Path.Combine(folder, file)).Select(l =>
        {
            using var row = JsonDocument.Parse(l);
            return row.RootElement.GetProperty("prompt").GetRawText() + row.RootElement.GetProperty("images").GetRawText();
        }).ToList();
        var own = 0;
        for (var start = 0; start < prompts.Count; start += batchSize)
        {
            var group = prompts.Skip(start).Take(batchSize).ToList();
            if (group.Count == 1) continue; // a last group of one keeps its own completion: TRL's own test leaves it out too
            for (var i = 0; i < group.Count; i++)
                if (group[i] == group[(i + group.Count - 1) % group.Count]) own++;
        }
        return own;
    }

    // Messages as TRL's conversational readers take them: known roles, typed parts, image parts only in the prompt and
    // as many as there are images, a prompt that ends on a user turn with turns alternating.
    private static void ConversationalWithImages(string folder, JsonElement record, string where, params string[] answers)
    {
        var images = record.GetProperty("images").EnumerateArray().Select(i => i.GetString()!).ToList();
        var imageParts = 0;
        foreach (var (name, allowImages) in answers.Select(a => (a, false)).Prepend(("prompt", true)))
            foreach (var message in record.GetProperty(name).EnumerateArray())
            {
                Assert.Contains(message.GetProperty("role").GetString(), new[] { "system", "user", "assistant", "tool" });
                foreach (var part in message.GetProperty("content").EnumerateArray())
                {
                    Assert.False(part.TryGetProperty("image", out _), $"{where}: an 'image' key inside a content part");
                    var type = part.GetProperty("type").GetString();
                    if (type == "image") { Assert.True(allowImages, $"{where}: image part in {name}"); imageParts++; }
                    else Assert.Equal("text", type);
                }
            }
        Assert.True(imageParts == images.Count, $"{where}: {imageParts} image parts but {images.Count} images");
        foreach (var answer in answers) Assert.Equal("assistant", record.GetProperty(answer)[0].GetProperty("role").GetString());
        // maybe_apply_chat_template continues the prompt with the answer: it must end on a user turn, turns alternating.
        var roles = record.GetProperty("prompt").EnumerateArray().Select(m => m.GetProperty("role").GetString()).ToList();
        Assert.Equal("user", roles[^1]);
        for (var i = 1; i < roles.Count; i++) Assert.NotEqual(roles[i - 1], roles[i]);
        AssertFilesExist(folder, images, where);
    }

    /// <summary>
    /// mDPO's collator: every record's <c>img_path</c> opened with PIL from the working directory, the prompt run through
    /// Bunny's <c>tokenizer_image_token</c> (one image, so one <c>&lt;image&gt;</c>), chosen and rejected tokenized as they are.
    /// </summary>
    public static int Mdpo(string folder, string file) => EachLine(folder, file, (record, where) =>
    {
        Assert.Equal(["chosen", "img_path", "prompt", "rejected", "rejected_img_path"], record.EnumerateObject().Select(p => p.Name).Order());
        var prompt = record.GetProperty("prompt").GetString()!;
        Assert.True(Placeholders(prompt) == 1, $"{where}: the prompt must hold exactly one <image>");
        Assert.Contains(" USER: <image>\n", prompt);
        Assert.EndsWith(" ASSISTANT:", prompt);
        foreach (var side in new[] { "chosen", "rejected" })
        {
            var text = record.GetProperty(side).GetString()!;
            Assert.False(string.IsNullOrWhiteSpace(text), $"{where}: {side} is empty");
            Assert.True(Placeholders(text) == 0, $"{where}: {side} holds an <image>");
        }
        AssertFilesExist(folder, [record.GetProperty("img_path").GetString()!, record.GetProperty("rejected_img_path").GetString()!], where);
    });

    /// <summary>
    /// S-VCO's <c>DatasetSVCOForLlavaInterleave</c>: <c>json.load</c> of the whole file (a list of records), each side's
    /// <c>{side}_images</c> opened with PIL from the working directory and processed (its <c>pixel_values</c> read without
    /// a guard, so at least one image a side), the images appended as image parts after the instruction's text (so the
    /// instruction and the responses hold no placeholder of their own), <c>system_prompt</c> added only when not empty.
    /// Returns the records.
    /// </summary>
    public static List<JsonElement> Svco(string folder, string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, file)));
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        var records = new List<JsonElement>();
        foreach (var (record, index) in document.RootElement.EnumerateArray().Select((r, i) => (r.Clone(), i)))
        {
            var where = $"{file} record {index}";
            Assert.Equal(["chosen_images", "chosen_response", "instruction_prompt", "rejected_images", "rejected_response", "system_prompt"],
                record.EnumerateObject().Select(p => p.Name).Order());
            foreach (var side in new[] { "chosen", "rejected" })
            {
                var images = record.GetProperty($"{side}_images").EnumerateArray().Select(i => i.GetString()!).ToList();
                Assert.True(images.Count > 0, $"{where}: {side}_images is empty");
                AssertFilesExist(folder, images, where);
                var response = record.GetProperty($"{side}_response").GetString()!;
                Assert.False(string.IsNullOrWhiteSpace(response), $"{where}: {side}_response is empty");
                Assert.True(Placeholders(response) == 0, $"{where}: {side}_response holds an <image>");
            }
            Assert.Equal(JsonValueKind.String, record.GetProperty("system_prompt").ValueKind);
            var instruction = record.GetProperty("instruction_prompt").GetString()!;
            Assert.False(string.IsNullOrWhiteSpace(instruction), $"{where}: the instruction is empty");
            Assert.True(Placeholders(instruction) == 0, $"{where}: the instruction holds an <image> besides the image parts");
            records.Add(record);
        }
        return records;
    }

    /// <summary>
    /// RLAIF-V (RLHF-V/RLAIF-V, muffin/data/datasets.py at 1419ee1 and muffin/eval/muffin_inference_logp.py at 06b7853):
    /// <c>logps_data_path = [file for file in os.listdir(data_dir) if file.endswith('.parquet') and 'logp' in file]</c> must
    /// find none (else it skips the reference pass and reads a <c>logps</c> column there is not);
    /// <c>origin_data_path = [... if file.endswith('.parquet') and 'logp' not in file]</c> must find the file (else it
    /// downloads the public dataset), read as <c>load_dataset(data_dir)['train']</c>; the reference pass reads
    /// <c>json.loads(sample['origin_split'])</c>, <c>sample['origin_dataset']</c>, <c>sample['idx']</c>,
    /// <c>sample['image_path']</c> and <c>sample['image']['bytes']</c> (opened with PIL), and puts
    /// <c>f"&lt;image&gt;\n{sample['question']}"</c>; RLHF-V-Dataset's <c>text</c> JSON of the same three texts; the segment
    /// columns' offsets inside the texts they point into. Returns the rows.
    /// </summary>
    public static List<BpoStudio.Core.Export.Formats.RlhfVRow> RlhfV(string folder)
    {
        var files = Directory.GetFiles(folder, "*.parquet", SearchOption.TopDirectoryOnly).Select(Path.GetFileName).ToList();
        Assert.Contains("train-00000-of-00001.parquet", files);
        Assert.DoesNotContain(files, f => f!.Contains("logp", StringComparison.Ordinal));
        var rows = Parquet.Serialization.ParquetSerializer.DeserializeAsync<BpoStudio.Core.Export.Formats.RlhfVRow>(Path.Combine(folder, "train-00000-of-00001.parquet")).GetAwaiter().GetResult().Data.ToList();
        foreach (var row in rows)
        {
            var where = $"row idx {row.Idx}";
            Assert.True(row.Image.Bytes is { Length: > 0 }, $"{where}: no image bytes");
            try
            {
                JsonDocument.Parse(row.OriginSplit).Dispose();
            }
            catch (JsonException)
            {
                Assert.Fail($"{where}: json.loads(origin_split) fails on {row.OriginSplit}");
            }
            Assert.StartsWith("image/", BpoStudio.Core.Imaging.ImageDecoding.ReadHeader(row.Image.Bytes!).ContentType);
            Assert.True(Placeholders(row.Question) == 0, $"{where}: the question holds an <image> besides the one the reader adds");
            using var text = JsonDocument.Parse(row.Text);
            Assert.Equal((row.Question, row.Chosen, row.Rejected), (text.RootElement.GetProperty("question").GetString(), text.RootElement.GetProperty("chosen").GetString(), text.RootElement.GetProperty("rejected").GetString()));
            Assert.NotEqual(row.Chosen, row.Rejected);
            foreach (var (json, into) in new[] { (row.CorrectedSegments, row.Chosen), (row.ErrorSpans, row.Rejected) })
                foreach (var segment in JsonDocument.Parse(json).RootElement.EnumerateArray())
                    Assert.Equal(segment.GetProperty("text").GetString(), into.Substring(segment.GetProperty("start").GetInt32(), segment.GetProperty("length").GetInt32()));
        }
        return rows;
    }

    public static int LlamaFactory(string folder, string file) => EachLine(folder, file, (record, where) =>
    {
        var turns = record.GetProperty("conversations").EnumerateArray().ToList();
        Assert.True(turns.Count % 2 == 1, $"{where}: conversations must have an odd number of turns");
        for (var i = 0; i < turns.Count; i++)
            Assert.Equal(i % 2 == 0 ? "human" : "gpt", turns[i].GetProperty("from").GetString());
        Assert.Equal(JsonValueKind.Object, record.GetProperty("chosen").ValueKind);
        Assert.Equal(JsonValueKind.Object, record.GetProperty("rejected").ValueKind);
        var images = record.GetProperty("images").EnumerateArray().Select(i => i.GetString()!).ToList();
        var prompt = string.Concat(turns.Select(t => t.GetProperty("value").GetString()));
        // mm_plugin._validate_messages counts every media placeholder in all messages and raises on a mismatch.
        foreach (var side in new[] { "chosen", "rejected" })
        {
            var all = prompt + record.GetProperty(side).GetProperty("value").GetString();
            Assert.True(Placeholders(all) == images.Count, $"{where}: <image> count differs from images in prompt+{side}");
            Assert.True(Placeholders(all, "<video>") == 0 && Placeholders(all, "<audio>") == 0, $"{where}: a <video> or <audio> placeholder with no videos or audios");
        }
        AssertFilesExist(folder, images, where);
    });

    public static int OpenAi(string folder, string file) => EachLine(folder, file, (record, where) =>
    {
        var messages = record.GetProperty("input").GetProperty("messages").EnumerateArray().ToList();
        var images = 0;
        foreach (var message in messages)
        {
            if (message.GetProperty("content").ValueKind == JsonValueKind.String) continue;
            foreach (var part in message.GetProperty("content").EnumerateArray())
            {
                if (part.GetProperty("type").GetString() != "image_url") continue;
                Assert.NotEqual("assistant", message.GetProperty("role").GetString());
                var url = part.GetProperty("image_url").GetProperty("url").GetString()!;
                Assert.Matches("^data:image/(jpeg|png|webp);base64,", url);
                var bytes = Convert.FromBase64String(url[(url.IndexOf(',') + 1)..]);
                Assert.True(bytes.Length <= 10 * 1024 * 1024, $"{where}: image over 10 MB");
                Assert.StartsWith("image/", BpoStudio.Core.Imaging.ImageDecoding.ReadHeader(bytes).ContentType);
                images++;
            }
        }
        Assert.True(images <= 10, $"{where}: more than 10 images");
        foreach (var side in new[] { "preferred_output", "non_preferred_output" })
        {
            var output = record.GetProperty(side).EnumerateArray().Single();
            Assert.Equal("assistant", output.GetProperty("role").GetString());
            Assert.Equal(JsonValueKind.String, output.GetProperty("content").ValueKind);
        }
    });

    public static int Bpo(string folder, string file) => EachLine(folder, file, (record, where) =>
    {
        Assert.False(string.IsNullOrWhiteSpace(record.GetProperty("prompt").GetString()));
        var completions = record.GetProperty("completions").EnumerateArray().ToList();
        Assert.Contains(completions, c => c.GetProperty("type").GetString() == "gt" && c.GetProperty("score").GetDouble() == 1);
        Assert.All(completions, c => Assert.Contains(c.GetProperty("type").GetString(), new[] { "gt", "gt-rephrased", "llm-hal", "mllm-hal", "manual" }));
        if (record.TryGetProperty("image", out var image)) AssertFilesExist(Path.Combine(folder, "images"), [image.GetString()!], where);
    });

    /// <summary>
    /// bpo_llava.py's data path: <c>prompt_format</c> needs an image for every record (it opens it), records with any
    /// response over <paramref name="filterSize"/> words are filtered out, then <c>make_batch_pairs</c> pairs every two
    /// completions whose scores differ, higher chosen, ties skipped. Returns the (prompt, chosen, rejected) it trains on.
    /// </summary>
    public static List<(string Prompt, string Chosen, string Rejected)> BpoTrainingPairs(string folder, string file, int filterSize = 350)
    {
        var pairs = new List<(string, string, string)>();
        EachLine(folder, file, (record, where) =>
        {
            Assert.True(record.TryGetProperty("image", out var image) && image.ValueKind == JsonValueKind.String, $"{where}: no image, which the loader opens");
            AssertFilesExist(Path.Combine(folder, "images"), [image.GetString()!], where);
            var completions = record.GetProperty("completions").EnumerateArray().Select(c => (Score: c.GetProperty("score").GetDouble(), Response: c.GetProperty("response").GetString()!)).ToList();
            if (completions.Any(c => c.Response.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length > filterSize)) return;
            for (var i = 0; i < completions.Count; i++)
                for (var j = i + 1; j < completions.Count; j++)
                {
                    if (completions[i].Score == completions[j].Score) continue;
                    var (chosen, rejected) = completions[i].Score > completions[j].Score ? (completions[i], completions[j]) : (completions[j], completions[i]);
                    pairs.Add((record.GetProperty("prompt").GetString()!, chosen.Response, rejected.Response));
                }
        });
        return pairs;
    }

    public static int Placeholders(string text, string placeholder = "<image>") =>
        (text.Length - text.Replace(placeholder, "", StringComparison.Ordinal).Length) / placeholder.Length;

    private static int EachLine(string folder, string file, Action<JsonElement, string> check)
    {
        var count = 0;
        foreach (var (line, number) in File.ReadLines(Path.Combine(folder, file)).Select((l, i) => (l, i + 1)))
        {
            using var document = JsonDocument.Parse(line);
            check(document.RootElement, $"{file} line {number}");
            count++;
        }
        return count;
    }

    private static void AssertFilesExist(string folder, IEnumerable<string> relativePaths, string where)
    {
        foreach (var path in relativePaths)
            Assert.True(File.Exists(Path.Combine(folder, path)), $"{where}: {path} is not in the export");
    }
}
