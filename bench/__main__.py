from bench import ingest, render

ingest.main()
print("\nmedrec certified copy rendering (issuance)")
for row in render.run():
    print("  " + " | ".join(row))
