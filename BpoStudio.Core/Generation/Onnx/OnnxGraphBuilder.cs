using System.Runtime.InteropServices;
using Google.Protobuf;

namespace BpoStudio.Core.Generation.Onnx;

/// <summary>Writes small ONNX graphs (tests, benchmarks, the KV cache's row gather): inputs and outputs with symbolic dims, initializers, nodes.</summary>
public sealed class OnnxGraphBuilder(string name)
{
    public const int Float = 1, Int64Type = 7, Bool = 9, Float16 = 10;
    private readonly Graph _graph = new() { Name = name };
    private int _constants;

    /// <param name="dims">Each a <see cref="long"/> size or a <see cref="string"/> symbolic name.</param>
    public OnnxGraphBuilder Input(string tensor, int elemType, params object[] dims)
    {
        _graph.Input.Add(ValueInfoOf(tensor, elemType, dims));
        return this;
    }

    public OnnxGraphBuilder Output(string tensor, int elemType, params object[] dims)
    {
        _graph.Output.Add(ValueInfoOf(tensor, elemType, dims));
        return this;
    }

    public string Weights(string tensor, float[] values, params long[] dims) => AddInitializer(tensor, Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public string Int64s(long[] values, params long[] dims) => AddInitializer($"const_{_constants++}", Int64Type, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public string Scalar(float value) => AddInitializer($"const_{_constants++}", Float, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), []);

    public string Scalar(long value) => AddInitializer($"const_{_constants++}", Int64Type, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), []);

    public string Node(string opType, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new Node { OpType = opType, Name = $"{opType}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attributeName, value) in attributes)
            node.Attribute.Add(value switch
            {
                long i => new Attribute { Name = attributeName, Type = Attribute.Types.Type.Int, I = i },
                int i => new Attribute { Name = attributeName, Type = Attribute.Types.Type.Int, I = i },
                float f => new Attribute { Name = attributeName, Type = Attribute.Types.Type.Float, F = f },
                long[] ints => new Attribute { Name = attributeName, Type = Attribute.Types.Type.Ints, Ints = { ints } },
                _ => throw new InvalidInputError($"Unsupported attribute value {value.GetType().Name}."),
            });
        _graph.Node.Add(node);
        return output;
    }

    public void Save(string path, long opset = 17)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        ToModel(opset).WriteTo(file);
    }

    public byte[] ToBytes(long opset = 17) => ToModel(opset).ToByteArray();

    private Model ToModel(long opset)
    {
        var model = new Model { IrVersion = 8, ProducerName = "BpoStudio", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetId { Domain = "", Version = opset });
        return model;
    }

    private string AddInitializer(string tensor, int dataType, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var initializer = new Tensor { Name = tensor, DataType = dataType, RawData = ByteString.CopyFrom(bytes) };
        initializer.Dims.AddRange(dims);
        _graph.Initializer.Add(initializer);
        return tensor;
    }

    private static ValueInfo ValueInfoOf(string tensor, int elemType, object[] dims)
    {
        var shape = new Shape();
        foreach (var dim in dims)
            shape.Dim.Add(dim switch
            {
                string symbol => new Shape.Types.Dimension { DimParam = symbol },
                long size => new Shape.Types.Dimension { DimValue = size },
                int size => new Shape.Types.Dimension { DimValue = size },
                _ => throw new InvalidInputError($"A dimension is a size or a name, not {dim.GetType().Name}."),
            });
        return new ValueInfo { Name = tensor, Type = new TypeInfo { TensorType = new TypeInfo.Types.TensorType { ElemType = elemType, Shape = shape } } };
    }
}
