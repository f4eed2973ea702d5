using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class SamplesByImageAndDataset : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Samples_ImageHash",
                table: "Samples");

            migrationBuilder.CreateIndex(
                name: "IX_Samples_ImageHash_DatasetId",
                table: "Samples",
                columns: new[] { "ImageHash", "DatasetId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Samples_ImageHash_DatasetId",
                table: "Samples");

            migrationBuilder.CreateIndex(
                name: "IX_Samples_ImageHash",
                table: "Samples",
                column: "ImageHash");
        }
    }
}
