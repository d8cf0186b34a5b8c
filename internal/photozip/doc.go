// Package photozip reads the photo zips that schools import and writes the photo zips that their
// library and student systems expect, each with its map file: the text file that says whose photo
// each file is.
//
// The package only moves bytes and names. It does not decode images (package photo does), match
// ids to patrons, or touch the database. It imports internal/rapport only for its errors.
//
// # The formats, and where the facts come from
//
// Follett Destiny (help for v16.5, "Map file" and "Upload patron pictures"; Follett's "About the
// picture-to-patron map file"): a zip of .gif, .jpg, .jpeg or .png pictures at the root with a
// map named idlink.txt. Each line is "id,picture file name": a comma with no spaces, quotes
// optional, no header line, every line ended by a carriage return; picture names have no spaces.
// The id is the patron's barcode when the zip is uploaded at a site and the patron's District ID
// when it is uploaded at the district. Lifetouch and other photographers write this file (it is
// the default name of Lifetouch's disc), quoting both fields and ending lines with a bare
// carriage return. Uploads are at most 500 MB; pictures of at most 20 KB are advised.
//
// Koha (tools/picture-upload.pl): a zip holding IDLINK.TXT or DATALINK.TXT, the name matched in
// any letter case, in any folder of the zip. Each line is "cardnumber,filename" or
// "cardnumber<TAB>filename" (a line with a tab is split on tabs, otherwise on commas); double
// quotes and carriage returns are removed. Files over 550,000 bytes are refused.
//
// PowerSchool SIS (PowerSchool "Photo Management" help, 23.5; a district's guide "Preparing to
// import student or staff pictures into PowerSchool"): a flat zip of JPEG/JFIF pictures (.jpg or
// .jpeg) and a tab-delimited mapping file whose rows are Student_Number (TeacherNumber for staff)
// and the picture's file name, column headers not required, file names case-sensitive. The
// mapping file has no fixed name and is chosen in a separate field of the import page, not found
// in the zip. A mapping by last, first and middle name and grade also exists; this package does
// not read it.
//
// Infinite Campus (Campus Knowledge Base, "Photo Import"): a zip of .jpg pictures in any folder
// layout, matched to the person by an identifier (student number or person ID); leading zeros are
// ignored when student numbers are matched; zips of at most 100 MB. The page read does not name
// the pictures' file layout beyond that, nor any index file.
//
// Pictures named by id with no map at all (12345.jpg) are what Alexandria, Otus and Aeries take,
// and what the Infinite Campus page above implies.
//
// # Choices made where no source settles the question
//
//   - Reading, idlink.txt is one format (MapIDLink) whether Destiny, Koha or a photographer made
//     it: the name cannot tell them apart, and the layout is the same.
//   - Reading, a zip with no idlink.txt or datalink.txt but one other .txt or .csv file that names
//     files in the zip is read as a map of the same layout (MapPowerSchool): that is what a school
//     that zips its PowerSchool mapping file with its pictures sends.
//   - Writing for Destiny, lines end in CR LF: the line ends in a carriage return as Destiny
//     asks, and Koha, which reads lines up to a line feed and then removes carriage returns,
//     reads the same file.
//   - Writing for PowerSchool, the mapping file is put in the zip as mapping.txt, since the writer
//     makes one zip; the school takes it out to choose it on the import page.
//   - Writing for Infinite Campus, pictures are named by student number (the SIS id) at the root
//     with no map, the same layout as ExportSISIDFilenames.
//   - Writing for Destiny at the district level (ExportDestinyDistrict), the District ID is taken
//     to be the SIS id, which is what districts usually load into it.
package photozip
