using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BpoStudio.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class MultiImageSamples : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "MoreImageHashes",
                table: "Samples",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceMoreImagePaths",
                table: "Samples",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MoreWeakenedImageHashes",
                table: "Responses",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "WeakenedImageIndex",
                table: "Responses",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MoreImageHashes",
                table: "DatasetVersionItems",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MoreImageHashes",
                table: "Samples");

            migrationBuilder.DropColumn(
                name: "SourceMoreImagePaths",
                table: "Samples");

            migrationBuilder.DropColumn(
                name: "MoreWeakenedImageHashes",
                table: "Responses");

            migrationBuilder.DropColumn(
                name: "WeakenedImageIndex",
                table: "Responses");

            migrationBuilder.DropColumn(
                name: "MoreImageHashes",
                table: "DatasetVersionItems");
        }
    }
}
