using BpoStudio.Tests.Approval;
using BpoStudio.Tests.Dashboard;
using BpoStudio.Tests.Export;
using BpoStudio.Tests.Import;
using BpoStudio.Tests.Infrastructure;
using BpoStudio.Tests.Jobs;
using BpoStudio.Tests.Review;

namespace BpoStudio.Tests.Data;

// The database test suites again, on PostgreSQL: every fact of each base class runs against a fresh database on the
// server .ci/run starts (or BPOSTUDIO_TEST_POSTGRES names), through the Postgres migrations.

public class ApprovalServiceTestsOnPostgres : ApprovalServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ExportServiceTestsOnPostgres : ExportServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ExportRunnerTestsOnPostgres : ExportRunnerTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class BpoRoundTripTestsOnPostgres : BpoRoundTripTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class LeadWorkflowTestsOnPostgres : LeadWorkflowTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ImportServiceTestsOnPostgres : ImportServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class DatasetImporterTestsOnPostgres : DatasetImporterTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class PeerFormatImportTestsOnPostgres : PeerFormatImportTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class MultiImageTestsOnPostgres : BpoStudio.Tests.Datasets.MultiImageTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ReviewServiceTestsOnPostgres : ReviewServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class AssignmentServiceTestsOnPostgres : AssignmentServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class GenerationJobTestsOnPostgres : GenerationJobTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class SessionRevocationTestsOnPostgres : Accounts.SessionRevocationTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ErrorSpanTestsOnPostgres : BpoStudio.Tests.Feedback.ErrorSpanTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class RatingTestsOnPostgres : BpoStudio.Tests.Feedback.RatingTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ReviewQueueTestsOnPostgres : ReviewQueueTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class ExportForecastTestsOnPostgres : ExportForecastTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class JudgeJobTestsOnPostgres : Judging.JudgeJobTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public class JudgeCalibrationTestsOnPostgres : Judging.JudgeCalibrationTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
